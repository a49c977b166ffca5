"""Source articles as the service reads them at answer time: from the corpus folder, safely.

A .txt article is its corpus file. Any other article (a web page, a JSON record, a feed item)
is read from the normalised copy ingest kept in the index generation the service has open
(ingest/normalised.py), which is what its citations point into.

Names are resolved inside the corpus root only (no `..`, absolute paths or links leading
out), and a file larger than CITELINE_MAX_FILE_BYTES is refused unread (ingest skips it too,
so no citation points into it). Parsed articles are cached by the file they resolve to, so
`a.txt`, `./a.txt` and `x/../a.txt` are one entry, while its size and mtime stay the same; the
cache is bounded by the memory its articles take, not by their number, and one article is parsed
at a time (parsing holds the GIL anyway), so a burst of requests cannot pile up parses.
"""

import sys
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from threading import Lock

from ingest.corpus import Article, FileTooLarge, UnreadableSource, line_table, read_article, resolve_source

# Parsed articles kept, in bytes (by article_bytes): thousands of news articles, a few long ones.
CACHE_BYTES = 64 * 1024 * 1024
# What a line's record (its model, numbers and references) takes besides its text, measured.
LINE_BYTES = 600


class SourceNotFound(Exception):
    pass


class SourceTooLarge(SourceNotFound):
    """A file over CITELINE_MAX_FILE_BYTES: there, but not a source citeline serves or cites."""


def article_bytes(article: Article) -> int:
    """About what a parsed article holds in memory: its text, and each line's text and record."""
    return sys.getsizeof(article.text) + sum(sys.getsizeof(line.text) + LINE_BYTES for line in article.lines)


class SourceLibrary:
    def __init__(
        self,
        root: Path,
        max_file_bytes: int | None = None,
        normalised: Callable[[str], str | None] = lambda source: None,
    ) -> None:
        self.root = Path(root)
        self.max_file_bytes = max_file_bytes
        self.normalised = normalised  # the normalised text of a source that is no .txt file
        # resolved path -> ((size, mtime_ns), article, its bytes), least recently used first.
        self._cache: OrderedDict[Path, tuple[tuple[int, int], Article, int]] = OrderedDict()
        self._cached_bytes = 0
        self._lock = Lock()
        self._parsing = Lock()

    def get(self, source: str) -> Article:
        path = resolve_source(self.root, source)
        if path is None:
            text = self.normalised(source) if source and "\x00" not in source else None
            if text is None:
                raise SourceNotFound(f"no such source: {source!r}")
            # Read from the index's pages (shared by all processes), not cached here.
            return Article(source=source, text=text, lines=line_table(text))
        try:
            stat = path.stat()
        except OSError:
            raise SourceNotFound(f"no such source: {source!r}") from None
        key = (stat.st_size, stat.st_mtime_ns)
        hit = self._cached(path, key)
        if hit is not None:
            return hit
        with self._parsing:
            hit = self._cached(path, key)  # parsed by the request this one waited for
            if hit is not None:
                return hit
            # Named by the file itself (not by the way this request spelt it), as it is cached.
            name = path.relative_to(self.root.resolve()).as_posix()
            try:
                article = read_article(path, name, self.max_file_bytes)
            except FileTooLarge as exc:
                raise SourceTooLarge(str(exc)) from None
            except UnreadableSource as exc:
                raise SourceNotFound(str(exc)) from None
            self._keep(path, key, article)
        return article

    def _cached(self, path: Path, key: tuple[int, int]) -> Article | None:
        with self._lock:
            hit = self._cache.get(path)
            if hit is None or hit[0] != key:
                return None
            self._cache.move_to_end(path)
            return hit[1]

    def _keep(self, path: Path, key: tuple[int, int], article: Article) -> None:
        size = article_bytes(article)
        with self._lock:
            old = self._cache.pop(path, None)
            if old is not None:
                self._cached_bytes -= old[2]
            if size > CACHE_BYTES:
                return  # larger than the whole cache: parsed for this request only
            self._cache[path] = (key, article, size)
            self._cached_bytes += size
            while self._cached_bytes > CACHE_BYTES:
                _, (_, _, evicted) = self._cache.popitem(last=False)
                self._cached_bytes -= evicted
