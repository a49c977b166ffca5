"""Source articles as the service reads them at answer time: from the corpus folder, safely.

Names are resolved inside the corpus root only (no `..`, absolute paths or links leading
out). Parsed articles are cached while the file's size and mtime stay the same.
"""

from collections import OrderedDict
from pathlib import Path
from threading import Lock

from ingest.corpus import Article, UnreadableSource, read_article, resolve_source

CACHE_SIZE = 256


class SourceNotFound(Exception):
    pass


class SourceLibrary:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cache: OrderedDict[str, tuple[tuple[int, int], Article]] = OrderedDict()
        self._lock = Lock()

    def get(self, source: str) -> Article:
        path = resolve_source(self.root, source)
        if path is None:
            raise SourceNotFound(f"no such source: {source!r}")
        try:
            stat = path.stat()
        except OSError:
            raise SourceNotFound(f"no such source: {source!r}") from None
        key = (stat.st_size, stat.st_mtime_ns)
        with self._lock:
            hit = self._cache.get(source)
            if hit and hit[0] == key:
                self._cache.move_to_end(source)
                return hit[1]
        try:
            article = read_article(path, source)
        except UnreadableSource as exc:
            raise SourceNotFound(str(exc)) from None
        with self._lock:
            self._cache[source] = (key, article)
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return article
