"""What a reader infers from an article's layout: its title, date, headings and who a heading names.

News articles here are one paragraph per line. Short lines without closing punctuation are
headings; a heading made only of capitalised words ("NATO Secretary General Jens Stoltenberg")
names the speaker of the paragraph below it (who speaks inside paragraphs is
`ingest/text/speakers.py`'s). These are heuristics for any folder of such articles, not rules
for one file.
"""

import re
from dataclasses import dataclass

from ingest.corpus import Article, Line
from ingest.text.names import NOT_NAMES
from ingest.text.speech import FIRST_PERSON

MAX_HEADING_WORDS = 12
MAX_TITLE_WORDS = 30
# Closing punctuation that makes a line a sentence rather than a heading.
SENTENCE_END = tuple(".!?:;,…")
CLOSERS = "\"'”’»)]"
# " date 2022-01-13 " at the start of a line: metadata, not text.
METADATA_PREFIX = re.compile(r"^\s*(?P<key>[a-z]+)\s+(?P<value>\d{4}-\d{2}-\d{2})\s+")
# Dash or bullet list markers that open a paragraph.
BULLET_PREFIX = re.compile(r"^[\s\-–—•*·]+")


@dataclass
class LineRole:
    """How one line reads: its body (metadata and bullet stripped) and its context."""

    line: Line
    body_start: int  # offset in the file where the line's text (after prefixes) starts
    is_heading: bool
    heading: str  # nearest heading above (or the line itself for a heading)
    speaker: str  # speaker named by the heading governing this paragraph, "" if none
    metadata: tuple[int, int] | None = None  # file span of a leading "date 2022-01-13"


def is_heading_text(text: str) -> bool:
    words = text.split()
    if not words or len(words) > MAX_HEADING_WORDS:
        return False
    return not text.rstrip(CLOSERS + " ").endswith(SENTENCE_END)


def speaker_of_heading(text: str) -> str:
    """A heading made only of capitalised words (2 or more) names a person or body."""
    words = text.split()
    if len(words) < 2:
        return ""
    if all(re.match(r"^[A-Z][\w’'.\-]*$", w) for w in words) and words[0] not in NOT_NAMES:
        return text.strip()
    return ""


def article_title(article: Article, first_line: int = 1) -> str:
    """The first line (after a front-matter block) when it reads as a headline."""
    if len(article.lines) < first_line:
        return ""
    first = METADATA_PREFIX.sub("", article.lines[first_line - 1].text).strip()
    words = first.split()
    if words and len(words) <= MAX_TITLE_WORDS and not first.rstrip(CLOSERS).endswith("."):
        return first
    return ""


def article_date(article: Article, first_line: int = 1) -> str:
    for line in article.lines[first_line - 1 : first_line + 2]:
        match = METADATA_PREFIX.match(line.text)
        if match and match.group("key") == "date":
            return match.group("value")
    return ""


def line_roles(article: Article, first_line: int = 1) -> list[LineRole]:
    """How each line from `first_line` on reads (lines above it are a front-matter block)."""
    roles: list[LineRole] = []
    heading = ""
    speaker = ""
    paragraphs_since_heading = 0
    for index, line in enumerate(article.lines[first_line - 1 :]):
        offset = 0
        metadata = None
        match = METADATA_PREFIX.match(line.text)
        if match:
            offset = match.end()
            metadata = (line.start + match.start("key"), line.start + match.end("value"))
        bullet = BULLET_PREFIX.match(line.text[offset:])
        if bullet:
            offset += bullet.end()
        body = line.text[offset:].strip()
        if not body:
            continue
        heading_like = index > 0 and is_heading_text(body)
        if heading_like:
            heading = body
            speaker = speaker_of_heading(body)
            paragraphs_since_heading = 0
        else:
            paragraphs_since_heading += 1
            # A speaker heading governs the paragraph below it; later paragraphs only while
            # they keep speaking in the first person (otherwise they are the reporter's).
            if paragraphs_since_heading > 1 and not FIRST_PERSON.search(body):
                speaker = ""
        roles.append(
            LineRole(
                line=line,
                body_start=line.start + offset,
                is_heading=heading_like,
                heading=heading,
                speaker=speaker if not heading_like else "",
                metadata=metadata,
            )
        )
    return roles
