"""Feed ingestion against a real HTTP server on 127.0.0.1 serving RSS, Atom and article pages."""

import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from citeline.cli import build_parser
from ingest.feeds import FeedReport, FeedResult, fetch_feeds
from ingest.fetch import Fetcher, FetchError, refusal
from ingest.settings import Settings
from tests.conftest import citeline

PARAGRAPHS = [
    "The city council voted on Tuesday to extend the tram line to the northern suburbs, ending a "
    "debate that has divided residents for more than a decade and cost two mayors their jobs.",
    "Supporters said the extension would cut commuting times by half for thousands of families, "
    "while opponents warned that the budget of 400 million euros was certain to be exceeded.",
    '"This is the most important decision this council has taken in a generation," the mayor told '
    "reporters after the vote, adding that construction would begin early next year.",
]


@dataclass
class Route:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    trickle_s: float = 0.0  # pause before each byte of the body
    declare_length: bool = True


@dataclass
class Site:
    base: str
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def hits(self, path: str) -> list[dict[str, str]]:
        """The headers of each request made for `path`."""
        return [headers for requested, headers in self.requests if requested == path]


def handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            route = site.routes.get(self.path)
            if route is None:
                self.send_error(404)
                return
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.send_header("ETag", route.etag)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            if route.etag:
                self.send_header("ETag", route.etag)
            for name, value in route.headers.items():
                self.send_header(name, value)
            if route.declare_length:
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                if route.trickle_s:
                    for byte in route.body:
                        time.sleep(route.trickle_s)
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                else:
                    self.wfile.write(route.body)
            except OSError:
                pass  # the client gave up, as it should on a slow or large answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def site() -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    site = Site(base=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = handler_for(site)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield site
    server.shutdown()
    server.server_close()


def settings_for(tmp_path: Path, **changes: Any) -> Settings:
    values: dict[str, Any] = {"feed_allow_private": True, "feed_timeout_s": 5.0, **changes}
    return Settings.read(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", **values)


def article(
    title: str, canonical: str, author: str = "Maria Keller", published: str = "2025-06-10T09:15:00+02:00"
) -> bytes:
    paragraphs = "\n".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{title} | The Daily Courier</title>
<meta property="og:title" content="{title}">
<meta name="author" content="{author}">
<meta property="article:published_time" content="2025-06-10T09:15:00+02:00">
<meta property="article:section" content="City">
<link rel="canonical" href="{canonical}">
</head><body>
<nav><a href="/">Home</a> <a href="/city">City</a></nav>
<article><h1>{title}</h1>
{paragraphs}
</article>
<footer>Copyright The Daily Courier</footer>
</body></html>""".encode()


# A page that shows its story only through JavaScript: nothing to read in the HTML.
APP_SHELL = b'<!DOCTYPE html><html><body><div id="app"></div><script src="/app.js"></script></body></html>'


def rss(*items: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>The Daily Courier</title><link>https://courier.example/</link>
<description>News</description>
{"".join(items)}
</channel></rss>""".encode()


def rss_item(guid: str, link: str, title: str = "", extra: str = "") -> str:
    title_tag = f"<title>{title}</title>" if title else ""
    return f'<item>{title_tag}<link>{link}</link><guid isPermaLink="false">{guid}</guid>{extra}</item>'


def atom(*entries: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Harbour Gazette</title><id>urn:uuid:60a76c80-d399-11d9-b93c-0003939e0af6</id>
<updated>2025-06-11T08:00:00Z</updated>
{"".join(entries)}
</feed>""".encode()


def stored(settings: Settings, guid: str) -> dict[str, Any]:
    name = hashlib.sha1(guid.encode()).hexdigest()[:16]
    return json.loads((settings.store.feeds_path / "127.0.0.1" / f"{name}.json").read_text(encoding="utf-8"))


def only(report: FeedReport) -> FeedResult:
    assert len(report.feeds) == 1
    return report.feeds[0]


def test_rss_items_are_stored_as_json_articles_with_the_feeds_metadata_first(site: Site, tmp_path: Path) -> None:
    site.routes["/tram"] = Route(article("Page title of the tram story", site.url("/news/tram")))
    site.routes["/port"] = Route(article("Harbour strike ends after nine days", site.url("/news/port")))
    site.routes["/feed.xml"] = Route(
        rss(
            rss_item(
                "courier-1",
                site.url("/tram"),
                "Council approves tram extension",
                "<pubDate>Tue, 10 Jun 2025 14:30:00 +0100</pubDate><dc:creator>Tom Brandt</dc:creator>"
                "<category>Transport</category>",
            ),
            rss_item("courier-2", site.url("/port")),  # no title, date or author: the page's
        ),
        content_type="application/rss+xml",
    )
    settings = settings_for(tmp_path)

    result = only(fetch_feeds(settings, [site.url("/feed.xml")]))

    assert (result.new, result.known, result.skipped, result.error) == (2, 0, [], None)
    tram = stored(settings, "courier-1")
    assert tram == {
        "title": "Council approves tram extension",
        "text": tram["text"],
        "published": "2025-06-10T14:30:00+01:00",
        "url": site.url("/news/tram"),
        "authors": ["Tom Brandt"],
        "section": "Transport",
        "guid": "courier-1",
        "feed": site.url("/feed.xml"),
    }
    assert all(p in tram["text"] for p in PARAGRAPHS[:2]) and "Copyright" not in tram["text"]
    port = stored(settings, "courier-2")
    assert port["title"] == "Harbour strike ends after nine days"
    assert port["published"] == "2025-06-10T09:15:00+02:00"
    assert port["authors"] == ["Maria Keller"]
    assert port["url"] == site.url("/news/port")
    assert site.hits("/tram")[0]["user-agent"].startswith("citeline/")
    assert not list(settings.store.feeds_path.rglob("*.tmp"))

    again = only(fetch_feeds(settings, [site.url("/feed.xml")]))  # no ETag: the stored GUIDs say
    assert (again.new, again.known, again.not_modified) == (0, 2, False)
    assert len(site.hits("/tram")) == len(site.hits("/port")) == 1


def test_atom_entries_are_stored_by_their_id(site: Site, tmp_path: Path) -> None:
    site.routes["/a/quay"] = Route(article("Quay page", site.url("/a/quay"), author="Ines Duarte"))
    entry_id = "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a"
    site.routes["/atom"] = Route(
        atom(
            f"""<entry><title>New quay opens to cruise ships</title><id>{entry_id}</id>
            <link rel="alternate" href="/a/quay"/><updated>2025-06-11T07:45:00Z</updated>
            <summary>Short summary only.</summary></entry>"""
        ),
        content_type="application/atom+xml",
    )
    settings = settings_for(tmp_path)

    result = only(fetch_feeds(settings, [site.url("/atom")]))

    assert (result.new, result.error) == (1, None)
    quay = stored(settings, entry_id)  # a relative link is read against the feed's URL
    assert quay["title"] == "New quay opens to cruise ships"
    assert quay["published"] == "2025-06-11T07:45:00+00:00"
    assert quay["authors"] == ["Ines Duarte"]
    assert quay["guid"] == entry_id and PARAGRAPHS[2] in quay["text"]


def test_a_second_run_asks_conditionally_and_fetches_only_new_items(site: Site, tmp_path: Path) -> None:
    site.routes["/one"] = Route(article("One", site.url("/one")))
    site.routes["/two"] = Route(article("Two", site.url("/two")))
    site.routes["/feed"] = Route(rss(rss_item("g1", site.url("/one"), "One")), etag='"v1"')
    settings = settings_for(tmp_path)
    feed = site.url("/feed")
    assert only(fetch_feeds(settings, [feed])).new == 1

    again = only(fetch_feeds(settings, [feed]))

    assert again.not_modified and again.new == 0
    assert site.hits("/feed")[-1]["if-none-match"] == '"v1"'
    assert len(site.hits("/one")) == 1

    site.routes["/feed"] = Route(
        rss(rss_item("g2", site.url("/two"), "Two"), rss_item("g1", site.url("/one"), "One")), etag='"v2"'
    )
    third = only(fetch_feeds(settings, [feed]))

    assert (third.new, third.known) == (1, 1)
    assert len(site.hits("/one")) == 1 and len(site.hits("/two")) == 1
    assert stored(settings, "g2")["title"] == "Two"


def test_loopback_is_refused_unless_allowed(site: Site, tmp_path: Path) -> None:
    site.routes["/feed"] = Route(rss())
    settings = settings_for(tmp_path, feed_allow_private=False)

    report = fetch_feeds(settings, [site.url("/feed"), "http://localhost:9/feed"])

    assert [r.error for r in report.feeds] == [
        f"{site.url('/feed')}: refused: 127.0.0.1 is a loopback address (CITELINE_FEED_ALLOW_PRIVATE=true allows it)",
        "http://localhost:9/feed: refused: localhost (127.0.0.1) is a loopback address "
        "(CITELINE_FEED_ALLOW_PRIVATE=true allows it)",
    ]
    assert report.failed and site.requests == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "private"),
        ("169.254.169.254", "link-local"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("fd00::1", "private"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "non-public"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
    ],
)
def test_addresses_that_are_not_public_are_refused(address: str, kind: str | None) -> None:
    assert refusal(ip_address(address)) == kind
    always = kind in ("unspecified", "multicast")
    assert refusal(ip_address(address), allow_private=True) == (kind if always else None)


def test_links_that_are_not_http_are_refused_and_the_other_items_stored(site: Site, tmp_path: Path) -> None:
    site.routes["/ok"] = Route(article("Fine", site.url("/ok")))
    site.routes["/feed"] = Route(
        rss(rss_item("bad", "file:///etc/passwd", "Bad"), rss_item("good", site.url("/ok"), "Good"))
    )
    settings = settings_for(tmp_path)

    result = only(fetch_feeds(settings, [site.url("/feed")]))

    assert result.new == 1 and len(result.skipped) == 1
    assert result.skipped[0].startswith("file:") and result.skipped[0].endswith(": not an http(s) URL")
    assert stored(settings, "good")["title"] == "Good"


def test_a_run_takes_at_most_200_new_items_of_a_feed(site: Site, tmp_path: Path) -> None:
    # Links refused before any request: the bound, not the fetching, is under test.
    site.routes["/feed"] = Route(rss(*(rss_item(f"n{i}", f"ftp://files.example/{i}") for i in range(201))))
    settings = settings_for(tmp_path)

    result = only(fetch_feeds(settings, [site.url("/feed")]))

    assert (result.new, len(result.skipped), result.deferred) == (0, 200, 1)
    assert "1 more next run (at most 200 per run)" in result.summary


def test_every_redirect_hop_is_checked(site: Site, tmp_path: Path) -> None:
    port = site.base.rsplit(":", 1)[1]
    site.routes["/article"] = Route(article("Moved story", site.url("/article")))
    site.routes["/moved"] = Route(b"", status=301, headers={"Location": "/article"})
    site.routes["/to-zero"] = Route(b"", status=302, headers={"Location": f"http://0.0.0.0:{port}/article"})
    site.routes["/to-file"] = Route(b"", status=302, headers={"Location": "file:///etc/passwd"})
    site.routes["/loop"] = Route(b"", status=307, headers={"Location": "/loop"})
    site.routes["/to-junk"] = Route(b"", status=308, headers={"Location": "http://[::1"})
    links = ["/moved", "/to-zero", "/to-file", "/loop", "/to-junk"]
    site.routes["/feed"] = Route(rss(*(rss_item(link, site.url(link), link) for link in links)))
    settings = settings_for(tmp_path)

    result = only(fetch_feeds(settings, [site.url("/feed")]))

    assert result.new == 1 and stored(settings, "/moved")["url"] == site.url("/article")
    to_zero, to_file, loop, to_junk = result.skipped
    assert to_zero == (
        f"{site.url('/to-zero')}: redirected to http://0.0.0.0:{port}/article: "
        "refused: 0.0.0.0 is an unspecified address"
    )
    assert to_file.startswith(f"{site.url('/to-file')}: redirected to file:") and to_file.endswith("not an http(s) URL")
    assert loop == f"{site.url('/loop')}: more than 5 redirects"
    assert to_junk.startswith(f"{site.url('/to-junk')}: ") and "Invalid URL in location header" in to_junk
    assert len(site.hits("/loop")) == 6


@pytest.mark.parametrize("declare_length", [True, False])
def test_a_page_over_the_size_limit_is_skipped(site: Site, tmp_path: Path, declare_length: bool) -> None:
    site.routes["/big"] = Route(
        article("Big", site.url("/big")) + b"<!-- padding -->" * 200, declare_length=declare_length
    )
    site.routes["/feed"] = Route(rss(rss_item("big", site.url("/big"), "Big")))
    settings = settings_for(tmp_path, max_file_bytes=1024)

    result = only(fetch_feeds(settings, [site.url("/feed")]))

    assert result.new == 0 and len(result.skipped) == 1
    assert result.skipped[0].startswith(f"{site.url('/big')}: too large: ")
    assert "the limit is 1024" in result.skipped[0] if declare_length else "over 1024 bytes" in result.skipped[0]


def test_a_slow_server_is_cut_off_at_the_time_limit_of_the_whole_fetch(site: Site, tmp_path: Path) -> None:
    # Every byte arrives well within any per-read timeout; the whole would take 20 s.
    site.routes["/feed"] = Route(rss(rss_item("slow", site.url("/slow"))), trickle_s=0.05)
    settings = settings_for(tmp_path, feed_timeout_s=0.5)

    started = time.monotonic()
    result = only(fetch_feeds(settings, [site.url("/feed")]))

    assert result.error == f"{site.url('/feed')}: no complete answer within 0.5 s"
    assert time.monotonic() - started < 2


def test_a_broken_feed_is_reported_and_the_other_feeds_still_read(site: Site, tmp_path: Path) -> None:
    site.routes["/story"] = Route(article("Story", site.url("/story")))
    site.routes["/broken"] = Route(b"Service temporarily unavailable, try again later", content_type="text/plain")
    site.routes["/good"] = Route(rss(rss_item("s", site.url("/story"), "Story")))
    settings = settings_for(tmp_path)

    report = fetch_feeds(settings, [site.url("/broken"), site.url("/missing"), site.url("/good")])

    broken, missing, good = report.feeds
    assert broken.error is not None and broken.error.startswith(f"{site.url('/broken')}: not an RSS or Atom feed")
    assert missing.error == f"{site.url('/missing')}: HTTP 404 Not Found"
    assert (good.new, good.error) == (1, None)
    assert report.failed and broken.summary == f"feed failed: {broken.error}"


def test_an_item_without_article_text_is_skipped_and_tried_again_next_run(site: Site, tmp_path: Path) -> None:
    site.routes["/late"] = Route(APP_SHELL)
    site.routes["/feed"] = Route(rss(rss_item("late", site.url("/late"), "Late story")), etag='"same"')
    settings = settings_for(tmp_path)
    feed = site.url("/feed")

    first = only(fetch_feeds(settings, [feed]))
    assert first.new == 0 and first.skipped == [f"{site.url('/late')}: no article text found in the page"]

    second = only(fetch_feeds(settings, [feed]))  # the feed did not change, yet the item is retried
    assert not second.not_modified and len(second.skipped) == 1
    assert "if-none-match" not in site.hits("/feed")[-1]

    site.routes["/late"] = Route(article("Late story", site.url("/late")))
    third = only(fetch_feeds(settings, [feed]))
    assert (third.new, third.skipped) == (1, [])
    assert stored(settings, "late")["title"] == "Late story"
    assert only(fetch_feeds(settings, [feed])).not_modified
    assert len(site.hits("/late")) == 3


def test_fetcher_honours_last_modified(site: Site) -> None:
    site.routes["/page"] = Route(b"hello", headers={"Last-Modified": "Tue, 10 Jun 2025 12:00:00 GMT"})
    with Fetcher(timeout_s=5, max_bytes=1024, allow_private=True) as fetcher:
        page = fetcher.get(site.url("/page"))
        assert (page.content, page.last_modified) == (b"hello", "Tue, 10 Jun 2025 12:00:00 GMT")
        fetcher.get(site.url("/page"), last_modified=page.last_modified)
    assert site.hits("/page")[-1]["if-modified-since"] == "Tue, 10 Jun 2025 12:00:00 GMT"
    with Fetcher(timeout_s=5, max_bytes=1024) as fetcher, pytest.raises(FetchError, match="loopback"):
        fetcher.get(site.url("/page"))


def test_feed_option_takes_only_http_urls(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    args = parser.parse_args(["ingest", "--feed", "https://a.example/rss", "--feed", "http://b.example/atom"])
    assert args.feed == ["https://a.example/rss", "http://b.example/atom"]
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["ingest", "--feed", "file:///etc/passwd"])
    assert exit_.value.code == 2
    assert "--feed: not an http(s) URL: 'file:///etc/passwd'" in capsys.readouterr().err


def test_feed_items_are_ingested_and_answered_with_their_date_and_link(site: Site, tmp_path: Path) -> None:
    """The whole path as a user runs it: `citeline ingest --feed`, then `citeline ask`."""
    site.routes["/tram"] = Route(article("Council approves tram extension", "https://courier.example/news/tram"))
    site.routes["/feed.xml"] = Route(
        rss(rss_item("courier-1", site.url("/tram"), "Council approves tram extension")),
        content_type="application/rss+xml",
    )
    (tmp_path / "corpus").mkdir()
    env = {
        **os.environ,
        "CITELINE_CORPUS_DIR": str(tmp_path / "corpus"),
        "CITELINE_DATA_DIR": str(tmp_path / "data"),
        "CITELINE_FEED_ALLOW_PRIVATE": "true",
    }
    ingested = citeline(env, "ingest", "--quiet", "--feed", site.url("/feed.xml"))
    assert ingested.returncode == 0, ingested.stderr
    asked = citeline(env, "ask", "--json", "By how much would the tram extension cut commuting times?")
    assert asked.returncode == 0, asked.stderr
    body = json.loads(asked.stdout)
    assert body["answered"], body["answer"]
    (citation, *_) = body["citations"]
    assert citation["source"] == f"feed:127.0.0.1/{hashlib.sha1(b'courier-1').hexdigest()[:16]}.json"
    assert citation["url"] == "https://courier.example/news/tram"
    assert citation["published"] == "2025-06-10T09:15:00+02:00"
    assert body["answer"].startswith("On 10 June 2025, ")
    again = citeline(env, "ingest", "--quiet", "--feed", site.url("/feed.xml"))
    assert again.returncode == 0 and "no changes" in again.stdout, again.stdout + again.stderr
