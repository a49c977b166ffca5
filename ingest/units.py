"""A unit is one sentence of an article: the smallest thing citeline retrieves and cites.

Its text is exactly `article.text[char_start:char_end]`, clean for quoting; the context a
reader needs (title, nearest heading, speaker) travels beside it and is what retrieval sees.
"""

import hashlib
import json
import re
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ingest.article_meta import ArticleMeta
from ingest.corpus import Article
from ingest.layout import line_roles, speaker_of_heading
from ingest.text.speakers import SpeakerTracker

# llama-index is imported where nodes are made and sentences split, at ingest: a service reads
# units and never pays for its import (about a second of every start).
if TYPE_CHECKING:
    from llama_index.core.schema import TextNode

# Bumped whenever what a unit is or how it is embedded changes: stored units of an older
# schema are re-ingested. 6: a lone "\r" ends a line (files with old Mac line endings were
# stored as one line). 7: “...,” the company said is an unnamed speaker's, not the last one's.
# 8: speakers are a list; word lists are one set (titles name people for "he said"). 9: more
# sentence-opening words are no part of a name ("Yet Evan Mann said"). 10: articles have
# metadata (published, url, authors, section) and come from the file named by `file`.
SCHEMA_VERSION = 10
# A "sentence" longer than this (a run-on line with no full stops) is cut at white space so
# that a unit stays quotable and within the embedding model's window.
MAX_UNIT_CHARS = 600
CONTEXT_KEYS = ("title", "heading", "speaker")
LOCATION_KEYS = ("source", "line", "char_start", "char_end", "kind")
# The article's metadata on each of its units, so that Chroma's `where` filters on them.
ARTICLE_KEYS = ("file", "published", "published_day", "url", "section")
LIST_KEYS = ("speakers", "authors")


class Unit(BaseModel):
    id: str
    source: str
    line: int
    char_start: int
    char_end: int
    text: str
    kind: str  # "title", "text" or "meta" (a metadata field such as "date 2022-01-13")
    title: str = ""
    heading: str = ""
    speakers: list[str] = []  # whose words the sentence gives: usually one name, none for the reporter's
    file: str = ""  # the corpus file the article came from (a JSON Lines file holds many)
    published: str = ""  # ISO 8601, "" when unknown (ingest/article_meta.py)
    published_day: int = 0  # YYYYMMDD of `published`, 0 when unknown: what date filters compare
    url: str = ""
    section: str = ""
    authors: list[str] = []

    @property
    def speaker(self) -> str:
        """The speakers as retrieval and readers see them: "Tony Blair and Gordon Brown"."""
        return " and ".join(self.speakers)

    def to_node(self) -> "TextNode":
        from llama_index.core.schema import TextNode

        metadata = {key: getattr(self, key) for key in CONTEXT_KEYS + LOCATION_KEYS + ARTICLE_KEYS}
        # Chroma's metadata are scalars: lists travel as JSON, beside what retrieval reads.
        for key in LIST_KEYS:
            metadata[key] = json.dumps(getattr(self, key), ensure_ascii=False)
        hidden = [key for key in CONTEXT_KEYS if not metadata[key]] + [*LIST_KEYS, *ARTICLE_KEYS]
        # The heading often repeats the speaker; say it once to retrieval.
        if self.heading and self.heading == self.speaker:
            hidden.append("heading")
        return TextNode(
            id_=self.id,
            text=self.text,
            metadata=metadata,
            excluded_embed_metadata_keys=[*LOCATION_KEYS, *hidden],
            excluded_llm_metadata_keys=[*LOCATION_KEYS, *hidden],
        )

    @classmethod
    def from_node(cls, node: "TextNode") -> "Unit":
        from llama_index.core.schema import MetadataMode

        metadata = {key: value for key, value in node.metadata.items() if key != "speaker"}
        for key in LIST_KEYS:
            metadata[key] = json.loads(metadata.get(key) or "[]")
        return cls(id=node.node_id, text=node.get_content(MetadataMode.NONE), **metadata)

    def retrieval_text(self) -> str:
        from llama_index.core.schema import MetadataMode

        return self.to_node().get_content(MetadataMode.EMBED)


def unit_id(source: str, start: int, end: int, text: str) -> str:
    digest = hashlib.sha1(text.encode()).hexdigest()[:8]
    return f"{source}#{start}-{end}-{digest}"


def source_of(unit_id: str) -> str:
    """The source a unit id names (the inverse of unit_id's first part)."""
    return unit_id.rsplit("#", 1)[0]


def sentence_spans(text: str, offset: int) -> list[tuple[int, int]]:
    """Sentence spans in `text` (as file offsets), trimmed of white space, long ones cut."""
    from llama_index.core.utils import globals_helper

    spans: list[tuple[int, int]] = []
    for start, end in globals_helper.punkt_tokenizer.span_tokenize(text):
        # Punkt splits after abbreviations like "the U.S." even when a lower-case word
        # follows; a sentence does not start in lower case, so join those back.
        if spans and text[start].islower():
            start = spans.pop()[0]
        spans.append((start, end))
    cut: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > MAX_UNIT_CHARS:
            split = text.rfind(" ", start, start + MAX_UNIT_CHARS)
            split = split if split > start else start + MAX_UNIT_CHARS
            cut.append((start, split))
            start = split
        cut.append((start, end))
    trimmed = []
    for start, end in cut:
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if re.search(r"\w", text[start:end]):
            trimmed.append((offset + start, offset + end))
    return trimmed


def _unit(article: Article, line: int, start: int, end: int, **fields: str | int | list[str]) -> Unit:
    text = article.text[start:end]
    return Unit(
        id=unit_id(article.source, start, end, text),
        source=article.source,
        line=line,
        char_start=start,
        char_end=end,
        text=text,
        **fields,
    )


def split_article(article: Article, meta: ArticleMeta, first_line: int = 1, file: str = "") -> list[Unit]:
    """The article's sentences (from `first_line` on), each with its context and metadata;
    `file` is the corpus file holding it, when that is not the article's own name."""
    title = meta.title
    about: dict[str, str | int | list[str]] = {
        "file": file or article.source,
        "published": meta.published or "",
        "published_day": meta.published_day,
        "url": meta.url or "",
        "section": meta.section,
        "authors": meta.authors,
    }
    roles = line_roles(article, first_line)
    known = [speaker_of_heading(r.heading) for r in roles if r.is_heading]
    tracker = SpeakerTracker([k for k in known if k])
    tracker.learn_names(article.text)
    units: list[Unit] = []
    for role in roles:
        if role.is_heading:
            continue
        line = role.line
        if role.metadata:
            start, end = role.metadata
            units.append(_unit(article, line.number, start, end, kind="meta", title=title, **about))
        kind = "title" if title and line.number == first_line and title in line.text else "text"
        body = article.text[role.body_start : line.end]
        spans = sentence_spans(body, role.body_start)
        texts = [article.text[start:end] for start, end in spans]
        speakers = [[] for _ in texts] if kind == "title" else tracker.attribute(texts, role.speaker)
        heading = role.heading if role.heading != title else ""
        for (start, end), said_by in zip(spans, speakers, strict=True):
            units.append(
                _unit(
                    article,
                    line.number,
                    start,
                    end,
                    kind=kind,
                    title="" if kind == "title" else title,
                    heading=heading,
                    speakers=said_by,
                    **about,
                )
            )
    return units
