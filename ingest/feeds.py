"""RSS and Atom feeds: each new item's page is fetched and kept as a JSON article for ingest.

Items are written to `<feeds_path>/<feed host>/<sha1(guid)[:16]>.json`, one article each, and
`<feeds_path>/state.json` remembers per feed its ETag/Last-Modified and the items already
stored, so an item is fetched once. An item whose page could not be read is not remembered
and is tried again next run; so that a 304 does not hide it, the feed's validators are only
kept after a run that stored every new item.
"""

import hashlib
import io
import json
import os
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import feedparser
import httpx
from pydantic import BaseModel, Field, ValidationError
from tqdm import tqdm

from ingest.article_meta import ArticleMeta, clean_authors, clean_text, parse_published
from ingest.corpus import UnreadableSource
from ingest.fetch import Fetched, Fetcher, FetchError
from ingest.read_html import extract_html
from ingest.settings import Settings

MAX_ITEMS_PER_RUN = 200  # per feed: a first run on a large archive feed is spread over runs
MAX_SEEN = 10_000  # remembered items per feed; older ones left the feed long ago
STATE = "state.json"
FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
HTML_TYPES = {"text/html", "application/xhtml+xml"}


class FeedResult(BaseModel):
    feed: str
    new: int = Field(0, description="Items fetched and written this run.")
    known: int = Field(0, description="Items stored by an earlier run.")
    not_modified: bool = Field(False, description="The feed answered 304: nothing changed since last run.")
    deferred: int = Field(0, description=f"New items left for the next run (at most {MAX_ITEMS_PER_RUN} a run).")
    skipped: list[str] = Field(default_factory=list, description="Items not stored, with why; retried next run.")
    error: str | None = Field(None, description="Why the feed itself could not be read.")

    @property
    def summary(self) -> str:
        if self.error:
            return f"feed failed: {self.error}"  # the error names the feed
        if self.not_modified:
            return f"feed {self.feed}: not modified since the last run"
        line = f"feed {self.feed}: {self.new} new, {self.known} already stored, {len(self.skipped)} skipped"
        if self.deferred:
            line += f"; {self.deferred} more next run (at most {MAX_ITEMS_PER_RUN} per run)"
        return line


class FeedReport(BaseModel):
    feeds: list[FeedResult] = Field(default_factory=list)

    @property
    def failed(self) -> bool:
        """A feed that could not be read or an item skipped, as a skipped corpus file is."""
        return any(result.error or result.skipped for result in self.feeds)


class FeedState(BaseModel):
    etag: str | None = None
    last_modified: str | None = None
    seen: list[str] = Field(default_factory=list, description="GUIDs stored, oldest first.")


class State(BaseModel):
    feeds: dict[str, FeedState] = Field(default_factory=dict)


@dataclass(frozen=True)
class Item:
    guid: str
    link: str
    meta: ArticleMeta  # what the feed says of the item; the page fills in the rest


def fetch_feeds(settings: Settings, urls: list[str], progress: bool = False) -> FeedReport:
    """Store the new items of every feed in `urls`; a feed that fails is reported and the
    others go on."""
    store = settings.store
    state_path = store.feeds_path / STATE
    state = _load_state(state_path)
    report = FeedReport()
    with Fetcher(store.feed_timeout_s, store.max_file_bytes, store.feed_allow_private) as fetcher:
        for url in dict.fromkeys(urls):
            feed_state = state.feeds.setdefault(url, FeedState())
            report.feeds.append(_read_feed(fetcher, url, feed_state, store.feeds_path, progress))
            # After each feed: an interrupted run keeps what it stored.
            _write_atomic(state_path, state.model_dump_json(indent=1).encode())
    return report


def _read_feed(fetcher: Fetcher, url: str, state: FeedState, root: Path, progress: bool) -> FeedResult:
    result = FeedResult(feed=url)
    try:
        fetched = fetcher.get(url, FEED_ACCEPT, state.etag, state.last_modified)
        if fetched.not_modified:
            result.not_modified = True
            return result
        items = _items(url, fetched, result)
    except FetchError as exc:
        result.error = str(exc)
        return result
    seen = set(state.seen)
    new = [item for item in items if item.guid not in seen]
    result.known = len(items) - len(new)
    result.deferred = max(0, len(new) - MAX_ITEMS_PER_RUN)
    folder = root / _host_folder(url)
    failed = False
    for item in tqdm(new[:MAX_ITEMS_PER_RUN], desc=url, unit="item", disable=not progress, file=sys.stderr):
        try:
            record = _article(fetcher, item, url)
        except (FetchError, UnreadableSource) as exc:
            result.skipped.append(str(exc))
            failed = True
            continue
        _write_atomic(folder / f"{hashlib.sha1(item.guid.encode()).hexdigest()[:16]}.json", record)
        state.seen.append(item.guid)
        result.new += 1
    del state.seen[:-MAX_SEEN]
    complete = not failed and not result.deferred
    state.etag = fetched.etag if complete else None
    state.last_modified = fetched.last_modified if complete else None
    return result


def _items(url: str, fetched: Fetched, result: FeedResult) -> list[Item]:
    """The feed's items, each once; items without a GUID or link are skipped."""
    # A stream, never bytes or a str: feedparser fetches a URL and opens a path it is given.
    parsed = feedparser.parse(
        io.BytesIO(fetched.content),
        response_headers={"content-location": fetched.url, "content-type": fetched.content_type},
    )
    if not parsed.version and not parsed.entries:
        why = f" ({parsed.bozo_exception})" if parsed.get("bozo_exception") else ""
        raise FetchError(f"{url}: not an RSS or Atom feed{why}")
    items: dict[str, Item] = {}
    for entry in parsed.entries:
        link = clean_text(entry.get("link"))
        guid = clean_text(entry.get("id")) or link
        if not guid:
            result.skipped.append(f"{url}: an item without a GUID or link ({clean_text(entry.get('title'))!r})")
        elif not link:
            result.skipped.append(f"{url}: item {guid} has no link")
        else:
            items.setdefault(guid, Item(guid, link, _feed_meta(entry)))
    return list(items.values())


def _feed_meta(entry: Any) -> ArticleMeta:
    tags = entry.get("tags") or [{}]
    return ArticleMeta(
        title=clean_text(entry.get("title")),
        published=parse_published(entry.get("published") or entry.get("updated")),
        authors=clean_authors(entry.get("authors") or entry.get("author") or ""),
        section=clean_text(tags[0].get("term")),
    )


def _article(fetcher: Fetcher, item: Item, feed_url: str) -> bytes:
    """The item's JSON article: its page's text, the feed's metadata filled in from the page."""
    page = fetcher.get(item.link, PAGE_ACCEPT)
    media_type = page.content_type.split(";")[0].strip().lower()
    if media_type and media_type not in HTML_TYPES:
        raise UnreadableSource(f"{item.link}: not a web page ({media_type})")
    text, page_meta = extract_html(page.text(), item.link, url=page.url)
    meta = item.meta.filled_from(page_meta)
    record = {
        "title": meta.title,
        "text": text,
        "published": meta.published,
        "url": meta.url,
        "authors": meta.authors,
        "section": meta.section,
        "guid": item.guid,
        "feed": feed_url,
    }
    return json.dumps(record, ensure_ascii=False, indent=1).encode()


def _host_folder(url: str) -> str:
    """The feed's host as a folder name (punycode for international names)."""
    return re.sub(r"[^a-z0-9.-]", "_", httpx.URL(url).raw_host.decode("ascii").lower()) or "_"


def _load_state(path: Path) -> State:
    """What earlier runs stored; an unreadable file starts afresh (items are fetched again and
    their files rewritten, nothing is lost)."""
    try:
        return State.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return State()
    except (OSError, ValidationError) as exc:
        print(f"citeline ingest: {path} unreadable, starting afresh ({type(exc).__name__})", file=sys.stderr)
        return State()


def _write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that a reader sees the old file or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # open() rather than tempfile: the file gets the umask's permissions, readable by services.
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("xb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
