"""The chat page and the embeddable widget in a real headless Chromium (Debian's), via Playwright."""

import http.server
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.conftest import CNN, MEDUZA, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    pytest.skip(
        "\n\n*** BROWSER TESTS SKIPPED: Debian's chromium is not installed (make test installs it as root) ***\n",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MEMBERSHIP = "What did Stoltenberg say about Ukraine's membership?"
# An answer waits on a service sharing two cores with the browser and the other tests: wait as
# long as for page actions (15 s), not `expect`'s 5 s, which a loaded machine has exceeded.
sync_api.expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: "sync_api.Browser") -> Iterator["sync_api.Page"]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def ask(page: "sync_api.Page", question: str) -> "sync_api.Locator":
    """Types a question as a user does and waits for the finished answer."""
    before = page.locator("li.msg.assistant").count()
    page.locator("#question").fill(question)
    page.keyboard.press("Enter")
    answer = page.locator("li.msg.assistant").nth(before)
    sync_api.expect(answer).not_to_have_attribute("aria-busy", "true")
    return answer


def test_ask_stream_click_a_citation_follow_up_and_reload(page: "sync_api.Page", server: str) -> None:
    page.add_init_script("""
        window.__streamed = new Set();
        new MutationObserver(() => {
          const busy = document.querySelector('li.msg.assistant[aria-busy="true"]');
          if (busy) window.__streamed.add(busy.textContent.length);
        }).observe(document, {subtree: true, childList: true, characterData: true});
    """)
    page.goto(server)
    sync_api.expect(page).to_have_title("citeline")
    answer = ask(page, MEMBERSHIP)
    assert page.evaluate("window.__streamed.size") >= 3, "the answer should arrive in pieces"
    sync_api.expect(answer).to_contain_text("Stoltenberg")
    chips = answer.locator("button.chip")
    assert chips.count() >= 1

    chips.first.click()
    panel = page.locator("#source")
    sync_api.expect(panel).to_be_visible()
    sync_api.expect(page.locator("#source-title")).to_contain_text(f"{MEDUZA}, line 6")
    cited = page.locator("#source-lines li.cited")
    sync_api.expect(cited).to_have_count(1)
    assert cited.get_attribute("data-line") == "6"
    sync_api.expect(cited.locator("mark")).to_have_count(1)
    sync_api.expect(cited).to_be_in_viewport()
    assert chips.first.get_attribute("aria-expanded") == "true"

    follow = ask(page, "And what did Grushko say about it?")
    sync_api.expect(follow).to_contain_text("Answering: What did Grushko say about Ukraine's membership?")
    sync_api.expect(follow.locator("button.chip").first).to_have_attribute("aria-label", f"Source 1: {CNN}, line 14")

    page.reload()
    sync_api.expect(page.locator("li.msg.user")).to_have_count(2)
    sync_api.expect(page.locator("li.msg.assistant button.chip").first).to_be_visible()
    page.locator("li.msg.assistant").nth(1).locator("button.chip").first.click()
    sync_api.expect(page.locator("#source-lines li.cited")).to_have_attribute("data-line", "14")

    page.locator("#new-conversation").click()
    sync_api.expect(page.locator("li.msg")).to_have_count(0)
    assert page.evaluate("localStorage.getItem('citeline.conversation')") is None


def test_refusals_look_different_and_keyboard_works(page: "sync_api.Page", server: str) -> None:
    page.goto(server)
    page.keyboard.press("Tab")  # the first stop is the New conversation button
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type("What is the capital of Australia?")
    page.keyboard.press("Enter")
    refusal = page.locator("li.msg.assistant.refusal")
    sync_api.expect(refusal).to_contain_text("The corpus does not contain an answer")
    assert refusal.locator("button.chip").count() == 0
    colour = refusal.evaluate("e => getComputedStyle(e).backgroundColor")
    normal = ask(page, "Who contributed reporting?")
    assert normal.evaluate("e => getComputedStyle(e).backgroundColor") != colour

    normal.locator("button.chip").first.focus()
    page.keyboard.press("Enter")
    sync_api.expect(page.locator("#source")).to_be_visible()
    page.keyboard.press("Escape")
    sync_api.expect(page.locator("#source")).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('chip')")


def test_feedback_on_an_answer(offline_page: tuple, server: str) -> None:
    page, violations, _ = offline_page
    page.goto(server)
    answer = ask(page, MEMBERSHIP)
    control = answer.locator(".feedback")
    sync_api.expect(control).to_contain_text("Was this answer helpful?")
    control.get_by_role("button", name="Not helpful").click()
    note = control.get_by_label("What was wrong with it? (optional)")
    sync_api.expect(note).to_be_focused()
    words = "I wanted <b>his</b> exact words"  # typed markup stays text
    page.keyboard.type(words)
    control.get_by_role("button", name="Send").click()
    sync_api.expect(control).to_contain_text("Thanks! You found this answer not helpful.")
    assert control.locator("b").count() == 0

    conversation = page.evaluate("localStorage.getItem('citeline.conversation')")
    stored = lambda: httpx.get(f"{server}/api/conversations/{conversation}").json()["turns"][0]["feedback"]  # noqa: E731
    assert stored() | {"created": 0} == {"verdict": "not_helpful", "note": words, "created": 0}

    # Changing it with the keyboard alone: focus sits on "Change", then on "Helpful".
    sync_api.expect(control.get_by_role("button", name="Change")).to_be_focused()
    page.keyboard.press("Enter")
    sync_api.expect(control.get_by_role("button", name="Not helpful")).to_have_attribute("aria-pressed", "true")
    sync_api.expect(control.get_by_role("button", name="Helpful", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    sync_api.expect(control).to_contain_text("Thanks! You found this answer helpful.")
    assert stored()["verdict"] == "helpful"

    page.reload()  # the verdict comes back with the conversation
    sync_api.expect(page.locator("li.msg.assistant .feedback")).to_contain_text("You found this answer helpful.")
    assert page.evaluate("window.__csp") == [] and violations == [], violations


def test_an_answer_that_could_not_be_saved_says_so(page: "sync_api.Page", ingested, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from ingest.store import UnitStore
    from service.app import create_app
    from service.pipeline import Pipeline
    from tests.conftest import fill, serve, small_disk

    with small_disk(tmp_path / "disk") as disk:
        config = ingested.updated(conversations_db=disk / "c.db")
        with serve(create_app(Pipeline(config, UnitStore(config), embedder))) as url:
            page.goto(url)
            saved = ask(page, MEMBERSHIP)
            sync_api.expect(saved.locator(".feedback")).to_be_visible()
            fill(disk)
            unsaved = ask(page, "What did Grushko say about NATO expansion?")
            sync_api.expect(unsaved.locator("button.chip").first).to_be_visible()  # still answered
            sync_api.expect(unsaved.get_by_role("status")).to_contain_text("could not be saved")
            assert unsaved.locator(".feedback").count() == 0  # nothing to rate


def test_phone_width(browser: "sync_api.Browser", server: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(server)
    answer = ask(page, MEMBERSHIP)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
    answer.get_by_role("button", name="Not helpful").click()
    sync_api.expect(answer.locator("textarea")).to_be_focused()
    box = answer.locator("textarea").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the note fits too"
    answer.locator("button.chip").first.click()
    sync_api.expect(page.locator("#source")).to_be_visible()  # it opens once the article is fetched
    box = page.locator("#source").bounding_box()
    assert box and box["width"] >= 380, "the source covers the screen on a phone"
    page.locator("#close-source").click()
    sync_api.expect(page.locator("#source")).to_be_hidden()
    context.close()


@contextmanager
def embedding(directory: Path, server: str) -> Iterator[str]:
    """Somebody else's page, on another port, embedding the widget of `server`; yields its URL."""
    (directory / "index.html").write_text(
        f"<!doctype html><title>Host</title><h1>A news site</h1>"
        f'<script src="{server}/widget.js" data-citeline-url="{server}"></script>',
        encoding="utf-8",
    )
    port = free_port()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}/index.html"
    finally:
        httpd.shutdown()


@pytest.fixture()
def host_page(tmp_path: Path, server: str) -> Iterator[str]:
    with embedding(tmp_path, server) as url:
        yield url


def test_embeddable_widget_on_another_origin(page: "sync_api.Page", host_page: str) -> None:
    page.goto(host_page)
    button = page.locator("#citeline-widget-button")
    sync_api.expect(button).to_be_visible()
    button.click()
    sync_api.expect(button).to_have_attribute("aria-expanded", "true")
    frame = page.frame_locator("iframe[title='citeline chat']")
    frame.locator("#question").fill(MEMBERSHIP)
    frame.locator("#question").press("Enter")
    answer = frame.locator("li.msg.assistant").first
    sync_api.expect(answer.locator("button.chip").first).to_be_visible()
    answer.get_by_role("button", name="Helpful", exact=True).click()
    sync_api.expect(answer.locator(".feedback")).to_contain_text("Thanks! You found this answer helpful.")
    answer.locator("button.chip").first.click()
    sync_api.expect(frame.locator("#source-lines li.cited")).to_have_attribute("data-line", "6")
    page.keyboard.press("Escape")  # closes the source inside the frame, focus stays there
    button.click()
    sync_api.expect(page.locator("#citeline-widget-panel")).to_be_hidden()


def test_the_page_can_be_given_an_api_key(browser: "sync_api.Browser", ingested, embedder, tmp_path: Path) -> None:  # noqa: ANN001
    from ingest.store import UnitStore
    from service.app import create_app
    from service.pipeline import Pipeline
    from tests.conftest import serve

    config = ingested.updated(api_keys=["page-key"], conversations_db=tmp_path / "c.db")
    with serve(create_app(Pipeline(config, UnitStore(config), embedder))) as url:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(url)
        page.locator("#question").fill(MEMBERSHIP)
        page.keyboard.press("Enter")
        sync_api.expect(page.locator("li.msg.error")).to_contain_text("an API key is required")
        page.goto(f"{url}/?key=page-key")
        answer = ask(page, MEMBERSHIP)
        sync_api.expect(answer.locator("button.chip").first).to_be_visible()
        context.close()


@pytest.fixture()
def offline_page(page: "sync_api.Page", server: str) -> Iterator[tuple["sync_api.Page", list[str], list[str]]]:
    """A page that can reach nothing but the service (as on a machine without network), and
    records every Content-Security-Policy violation and every request it had to refuse."""
    violations: list[str] = []
    elsewhere: list[str] = []

    def refuse(route: "sync_api.Route") -> None:
        elsewhere.append(route.request.url)
        route.abort()

    page.route(lambda url: not url.startswith((server, "data:", "blob:")), refuse)
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script("""
        window.__csp = [];
        document.addEventListener('securitypolicyviolation',
          e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`));
    """)
    yield page, violations, elsewhere


def test_swagger_ui_works_offline_under_the_csp(offline_page: tuple, server: str) -> None:
    page, violations, elsewhere = offline_page
    page.goto(f"{server}/docs")
    ask_op = page.locator("#operations-answers-ask_api_ask_post")
    sync_api.expect(ask_op.locator(".opblock-summary-path")).to_have_text("/api/ask")
    sync_api.expect(page.locator(".opblock-summary-path", has_text="/v1/chat/completions")).to_be_visible()
    ask_op.locator(".opblock-summary").click()
    ask_op.get_by_role("button", name="Try it out").click()
    ask_op.get_by_role("button", name="Execute").click()
    response = ask_op.locator(".live-responses-table tbody tr.response")
    sync_api.expect(response.locator(".response-col_status")).to_have_text("200")
    sync_api.expect(response.locator(".response-col_description")).to_contain_text("Stoltenberg")
    assert page.evaluate("window.__csp") == [] and violations == [], violations
    assert elsewhere == [], elsewhere


def test_redoc_works_offline_under_the_csp(offline_page: tuple, server: str) -> None:
    page, violations, elsewhere = offline_page
    page.goto(f"{server}/redoc")
    sync_api.expect(page.locator("h1")).to_contain_text("citeline")
    sync_api.expect(page.get_by_text("/api/ask", exact=True).first).to_be_attached()
    sync_api.expect(page.locator("h2", has_text="Ask").first).to_be_visible()
    # ReDoc always shows its maker's logo from cdn.redoc.ly (no option turns that off): the policy
    # blocks it, so no request leaves, and ReDoc hides the broken image. Nothing else is blocked.
    badge = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert set(page.evaluate("window.__csp")) <= {f"img-src {badge}"}
    assert all(badge in message for message in violations), violations
    assert elsewhere == [], elsewhere


def test_a_citation_deep_in_a_long_article_opens_on_its_page(
    page: "sync_api.Page",
    embedder,  # noqa: ANN001
    tmp_path: Path,
) -> None:
    from ingest.job import run_ingest
    from ingest.store import UnitStore
    from service.app import create_app
    from service.pipeline import Pipeline
    from tests.conftest import make_settings, serve

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # The answer on line 2,500 of 2,600: past the first page of 2,000 lines the API gives.
    lines = ["Harbour works diary", "The diary records the harbour works, day by day."] + [""] * 2597 + [""]
    lines[2499] = "The harbour master said the ferry pier reopens on Monday after the storm repairs."
    (corpus / "diary.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings = make_settings(tmp_path, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    with serve(create_app(Pipeline(settings, UnitStore(settings), embedder))) as url:
        page.goto(url)
        answer = ask(page, "When does the ferry pier reopen?")
        chip = answer.locator("button.chip").first
        sync_api.expect(chip).to_have_attribute("aria-label", "Source 1: diary.txt, line 2500")
        chip.click()
        cited = page.locator("#source-lines li.cited")
        sync_api.expect(cited).to_have_attribute("data-line", "2500")
        sync_api.expect(cited.locator("mark")).to_have_text(lines[2499])
        sync_api.expect(cited).to_be_in_viewport()
        sync_api.expect(page.locator("#source-range")).to_have_text("Showing lines 2,000–2,600 of 2,600")
        assert page.locator("#source-lines li").first.get_attribute("value") == "2000"


# --- articles with titles, dates and the original's address ----------------------------------
# The news corpus (tests/news_corpus.py): this question is answered from web/nato.html (dated
# 2022-01-12T14:30:00+01:00, at NATO_URL) first, then from the Meduza article (no date, no url).
NATO_URL = "https://news.example.com/world/nato-warns"
NATO_QUOTE = (
    "NATO Secretary General Jens Stoltenberg said on Wednesday that Ukraine's membership was a "
    "matter for Ukraine and the 30 allies."
)
# A long quote is found by its first and last five words (a text fragment's "start,end" form).
NATO_HREF = f"{NATO_URL}#:~:text=NATO%20Secretary%20General%20Jens%20Stoltenberg,Ukraine%20and%20the%2030%20allies."
MEDUZA_TITLE = (
    "‘Not an easy discussion’ Russian and NATO officials say they are far from agreement after talks in Brussels"
)
# The original article as its site shows it: the quoted sentence far down, broken over two lines.
ORIGINAL = (
    "<!doctype html><html><head><title>NATO chief warns Russia | Example News</title></head><body>"
    "<h1>NATO chief warns Russia over Ukraine</h1><div style='height: 4000px'>Advertisement</div>"
    "<p id='quoted'>NATO Secretary General Jens Stoltenberg said on Wednesday that Ukraine's membership was a\n"
    "matter for Ukraine and the 30 allies.</p><div style='height: 4000px'></div></body></html>"
)


@pytest.fixture(scope="module")
def news_server(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:  # noqa: ANN001
    """The app over the news corpus of every format, with dates and URLs; yields its base URL."""
    from ingest.job import run_ingest
    from ingest.store import UnitStore
    from service.app import create_app
    from service.pipeline import Pipeline
    from tests.conftest import make_settings, serve
    from tests.news_corpus import write_corpus

    tmp = tmp_path_factory.mktemp("news-page")
    write_corpus(tmp / "corpus")
    settings = make_settings(tmp, tmp / "corpus")
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    with serve(create_app(Pipeline(settings, UnitStore(settings), embedder))) as url:
        yield url


@pytest.fixture()
def news_context(browser: "sync_api.Browser") -> Iterator[tuple["sync_api.BrowserContext", list[str]]]:
    """A browser context where news.example.com serves the original article (it is not reachable
    from a test); also yields the addresses it was asked for. Its clock is at UTC+14, where
    2022-01-12T14:30:00+01:00 is already 13 January: the page shows the date the source wrote."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, timezone_id="Pacific/Kiritimati")
    context.set_default_timeout(15_000)
    asked: list[str] = []

    def original(route: "sync_api.Route") -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=ORIGINAL)

    context.route("https://news.example.com/**", original)
    yield context, asked
    context.close()


def check_sources(sources: "sync_api.Locator") -> "sync_api.Locator":
    """The sources of the answer to MEMBERSHIP in the news corpus; gives the original's link."""
    nato, meduza = sources.locator("li").nth(0), sources.locator("li").nth(1)
    sync_api.expect(nato.locator("cite")).to_have_text("NATO chief warns Russia over Ukraine")
    sync_api.expect(nato.locator("time")).to_have_text("12 Jan 2022")
    sync_api.expect(nato.locator("time")).to_have_attribute("datetime", "2022-01-12")
    sync_api.expect(nato.get_by_role("button")).to_have_text("web/nato.html, line 3")
    link = nato.get_by_role("link", name="Original article: NATO chief warns Russia over Ukraine (opens in a new tab)")
    sync_api.expect(link).to_have_text("original article")
    sync_api.expect(link).to_have_attribute("href", NATO_HREF)
    sync_api.expect(link).to_have_attribute("target", "_blank")
    assert set(link.get_attribute("rel").split()) == {"noopener", "noreferrer"}
    # An article without a date or an address: its title, and neither a date nor a link.
    sync_api.expect(meduza.locator("cite")).to_have_text(MEDUZA_TITLE)
    sync_api.expect(meduza.locator("time")).to_have_count(0)
    sync_api.expect(meduza.locator("a")).to_have_count(0)
    return link


def follow(context: "sync_api.BrowserContext", link: "sync_api.Locator") -> "sync_api.Page":
    """Clicks the link to the original and gives the tab it opens, once loaded."""
    with context.expect_page() as opened:
        link.click()
    original = opened.value
    original.wait_for_load_state()
    return original


def test_citations_show_title_date_and_open_the_original_at_the_quote(news_context: tuple, news_server: str) -> None:
    context, asked = news_context
    page = context.new_page()
    page.goto(news_server)
    answer = ask(page, MEMBERSHIP)
    link = check_sources(answer.get_by_role("list", name="Sources"))

    original = follow(context, link)
    assert original.url == NATO_HREF
    assert asked == [NATO_URL]
    sync_api.expect(original.locator("#quoted")).to_contain_text("Jens Stoltenberg said on Wednesday")
    assert " ".join(original.locator("#quoted").inner_text().split()) == NATO_QUOTE
    # The browser followed the text fragment: the quoted sentence, far down the page, is in view.
    sync_api.expect(original.locator("#quoted")).to_be_in_viewport()
    assert original.evaluate("window.scrollY") > 3000
    assert page.url.startswith(news_server), "the chat stays where it was"

    # A dated article without an address: the date part as the source wrote it, no link.
    ships = ask(page, "How many ships waited offshore?")
    item = ships.get_by_role("list", name="Sources").locator("li")
    sync_api.expect(item).to_have_count(1)
    sync_api.expect(item.locator("cite")).to_have_text("Harbour reopens after storm")
    sync_api.expect(item.locator("time")).to_have_text("17 Mar 2023")
    sync_api.expect(item.get_by_role("button")).to_contain_text("archive.jsonl/3")
    sync_api.expect(item.locator("a")).to_have_count(0)

    # A story two outlets ran: quoted once, from the first, the other named.
    bridge = ask(page, "How long had the Kessel river bridge been closed?")
    copies = bridge.get_by_role("list", name="Sources").locator("li .source-copies")
    sync_api.expect(copies.first).to_have_text("also in wire/reprint.json")

    page.reload()  # a restored conversation shows the same
    restored = page.locator("li.msg.assistant").first.get_by_role("list", name="Sources")
    sync_api.expect(restored.locator("a.original")).to_have_attribute("href", NATO_HREF)


def test_the_widget_shows_title_date_and_the_original(news_context: tuple, news_server: str, tmp_path: Path) -> None:
    context, asked = news_context
    page = context.new_page()
    with embedding(tmp_path, news_server) as host:
        page.goto(host)
        page.locator("#citeline-widget-button").click()
        frame = page.frame_locator("iframe[title='citeline chat']")
        frame.locator("#question").fill(MEMBERSHIP)
        frame.locator("#question").press("Enter")
        answer = frame.locator("li.msg.assistant").first
        sync_api.expect(answer).not_to_have_attribute("aria-busy", "true")
        link = check_sources(answer.get_by_role("list", name="Sources"))
        original = follow(context, link)
        assert original.url == NATO_HREF
        sync_api.expect(original.locator("#quoted")).to_be_in_viewport()
        assert page.url == host, "the host page stays where it was"
    assert asked == [NATO_URL]


def test_dates_and_text_fragments_by_the_rules(page: "sync_api.Page", server: str) -> None:
    page.goto(server)
    result = page.evaluate("""async () => {
        const { originalArticleHref: href, readableDate: date } = await import('/static/dom.js');
        return {
            dates: ['2022-01-12T23:30:00-08:00', '2022-01-12T00:30:00+14:00', '2023-03-14', '2023-03', '2023',
                    null, '', 'yesterday', '2023-13-01'].map(d => date(d) && date(d).text),
            hrefs: [
                href('https://a.example/x', 'NATO-Russia talks, day 2 & more'),
                href('https://a.example/x?p=1#top', 'Short quote.'),
                href('http://a.example/', 'One two three four five six seven eight nine ten eleven twelve thirteen'),
                href('https://a.example/x', 'A "quoted" 50% rise – (really)?'),
                href('javascript:alert(1)', 'x'), href('data:text/html,x', 'x'), href('not a url', 'x'),
                href(null, 'x'), href('', 'x'),
            ],
        };
    }""")
    # The date part as the source wrote it, whatever the browser's time zone.
    assert result["dates"] == ["12 Jan 2022", "12 Jan 2022", "14 Mar 2023", "Mar 2023", "2023"] + [None] * 4
    assert (
        result["hrefs"]
        == [
            "https://a.example/x#:~:text=NATO%2DRussia%20talks%2C%20day%202%20%26%20more",
            "https://a.example/x?p=1#:~:text=Short%20quote.",
            "http://a.example/#:~:text=One%20two%20three%20four%20five,nine%20ten%20eleven%20twelve%20thirteen",
            "https://a.example/x#:~:text=A%20%22quoted%22%2050%25%20rise%20%E2%80%93%20(really)%3F",
        ]
        + [None] * 5
    )
