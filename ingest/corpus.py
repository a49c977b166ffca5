"""Reading the corpus: which files are articles, their text and their line table.

A source is named by its path relative to the corpus root (POSIX separators), so nested
folders work and names are stable across machines.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

# A line ends at "\r\n", "\n" or a lone "\r" (old Mac files), as editors and readers see it;
# the break itself belongs to no line.
LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Line(BaseModel):
    number: int  # 1-based
    start: int  # offset of the first character in the file's text
    end: int  # offset after the last character, the line break excluded
    text: str


class Article(BaseModel):
    source: str
    text: str
    lines: list[Line]

    def line_at(self, offset: int) -> Line:
        """The line containing character `offset`."""
        lo, hi = 0, len(self.lines) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.lines[mid].start <= offset:
                lo = mid
            else:
                hi = mid - 1
        return self.lines[lo]


class UnreadableSource(Exception):
    """A corpus file that is not an article: binary, not UTF-8, or empty."""


class FileTooLarge(UnreadableSource):
    """A file over CITELINE_MAX_FILE_BYTES: refused before it is read."""


@dataclass(frozen=True)
class SourceFile:
    source: str
    path: Path
    size: int
    mtime_ns: int


def line_table(text: str) -> list[Line]:
    lines: list[Line] = []
    start = 0
    for number, brk in enumerate(LINE_BREAK.finditer(text), start=1):
        lines.append(Line(number=number, start=start, end=brk.start(), text=text[start : brk.start()]))
        start = brk.end()
    # What follows the last break is one more line; a break that ends the file opens none.
    if start < len(text) or not lines:
        lines.append(Line(number=len(lines) + 1, start=start, end=len(text), text=text[start:]))
    return lines


def decode(data: bytes, source: str) -> str:
    if not data.strip():
        raise UnreadableSource(f"{source}: empty file")
    if b"\x00" in data:
        raise UnreadableSource(f"{source}: binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableSource(f"{source}: not valid UTF-8 (byte {exc.start})") from None
    # A BOM is not part of the first line; offsets count from after it, as Python reads them.
    return text.removeprefix("\ufeff")


def read_bytes(path: Path, source: str, max_bytes: int | None = None) -> bytes:
    """The file's bytes. One over `max_bytes` is refused unread (reading it is the cost we avoid);
    one that grows past it while being read is refused too."""
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if max_bytes is None:
                return file.read()
            data = file.read(max_bytes + 1) if size <= max_bytes else b""
    except OSError as exc:
        raise UnreadableSource(f"{source}: cannot be read ({exc.strerror})") from None
    size = max(size, len(data))
    if size > max_bytes:
        raise FileTooLarge(f"{source}: {size:,} bytes, over CITELINE_MAX_FILE_BYTES ({max_bytes:,})")
    return data


def parse_article(data: bytes, source: str) -> Article:
    text = decode(data, source)
    return Article(source=source, text=text, lines=line_table(text))


def read_article(path: Path, source: str, max_bytes: int | None = None) -> Article:
    return parse_article(read_bytes(path, source, max_bytes), source)


@dataclass(frozen=True)
class Listing:
    files: list[SourceFile]
    # source -> why it cannot even be listed (symbolic links in a loop): reported, never read.
    broken: dict[str, str]


# What ingest reads (ingest/documents.py says how each is read).
ARTICLE_SUFFIXES = (".txt", ".html", ".htm", ".json", ".jsonl")


def scan_corpus(root: Path, prefix: str = "") -> Listing:
    """Every regular article file below `root` (hidden ones aside), in a stable order, named
    `prefix` + its path; links leading out are ignored."""
    root = root.resolve()
    listing = Listing(files=[], broken={})
    paths = (p for p in root.rglob("*") if p.name.lower().endswith(ARTICLE_SUFFIXES))
    for path in sorted(paths):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts):
            continue  # editors' swap files, version control, a feed's state
        source = prefix + relative.as_posix()
        try:
            resolved = path.resolve()
            if not resolved.is_relative_to(root) or not resolved.is_file():
                continue
            stat = resolved.stat()
        except RuntimeError:  # how pathlib (Python 3.11) reports ELOOP
            listing.broken[source] = f"{source}: symbolic links in a loop (they never reach a file)"
            continue
        except OSError:
            continue  # vanished or unreadable while listing; the next run sees it again
        listing.files.append(SourceFile(source=source, path=resolved, size=stat.st_size, mtime_ns=stat.st_mtime_ns))
    return listing


def list_sources(root: Path) -> list[SourceFile]:
    """The articles below `root`, for readers that need not report what cannot be listed."""
    return scan_corpus(root).files


def resolve_source(root: Path, source: str) -> Path | None:
    """The file for `source` if it is a .txt article inside `root`; None otherwise."""
    if not source or "\x00" in source or not source.endswith(".txt"):
        return None
    root = root.resolve()
    try:
        path = (root / source).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
    # A name too long for the file system; a loop of links (pathlib raises RuntimeError for ELOOP).
    except (OSError, ValueError, RuntimeError):
        return None
    return path
