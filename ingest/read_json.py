"""JSON and JSON Lines articles, as CMS exports and feed items (ingest/feeds.py) come.

A `.json` file holds one article object or a list of them; a `.jsonl` file holds one object
per line. An article has `title`, `text` (or `body`/`content`), `published` (or `date`), `url`,
`authors` (a list or one string) and `section`; its text's lines (or blank-line separated
blocks) are its paragraphs. A record without text is reported and skipped, the others are read.
"""

import json
import re
from dataclasses import dataclass

from ingest.article_meta import ArticleMeta, meta_from
from ingest.corpus import UnreadableSource
from ingest.normalised import compose, paragraphs_of

TEXT_KEYS = ("text", "body", "content")
# A record's own id names it within its file when it is a safe path segment; else its number.
RECORD_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,99}$")


@dataclass(frozen=True)
class Record:
    key: str  # "" for a file that is one article; else the record's id or 1-based number
    text: str  # normalised (ingest/normalised.py)
    meta: ArticleMeta


def read_records(text: str, source: str, lines: bool) -> tuple[list[Record], list[str]]:
    """The articles in a JSON (`lines=False`) or JSON Lines file, and why any were skipped."""
    raw: list[tuple[int, object]]
    if lines:
        raw = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    raw.append((number, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raw.append((number, f"not JSON ({exc.msg})"))
    else:
        try:
            whole = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableSource(f"{source}: not JSON ({exc.msg} at line {exc.lineno})") from None
        if isinstance(whole, dict):
            return _one(whole, source, "")
        if not isinstance(whole, list):
            raise UnreadableSource(f"{source}: neither an article object nor a list of them")
        raw = list(enumerate(whole, start=1))
    records: list[Record] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, value in raw:
        key = _key(value, number)
        if key in seen:
            problems.append(f"{source}: record {number}: id {key!r} repeats an earlier record's")
            continue
        seen.add(key)
        if isinstance(value, str):
            problems.append(f"{source}: record {number}: {value}")
            continue
        found, why = _one(value, source, key)
        records += found
        problems += [f"{source}: record {number}: {w}" for w in why]
    return records, problems


def _key(value: object, number: int) -> str:
    if isinstance(value, dict):
        given = value.get("id", value.get("guid"))
        if isinstance(given, (str, int)) and not isinstance(given, bool) and RECORD_ID.match(str(given)):
            return str(given)
    return str(number)


def _one(value: object, source: str, key: str) -> tuple[list[Record], list[str]]:
    where = f"{source}/{key}" if key else source
    if not isinstance(value, dict):
        return [], [f"not an article object ({type(value).__name__})"]
    body = next((value[k] for k in TEXT_KEYS if isinstance(value.get(k), str) and value[k].strip()), "")
    meta = meta_from(value)
    paragraphs = paragraphs_of(body)
    if not paragraphs:
        if not key:
            raise UnreadableSource(f"{where}: no text (give it as text, body or content)")
        return [], ["no text (give it as text, body or content)"]
    return [Record(key=key, text=compose(meta.title, paragraphs), meta=meta)], []
