"""The HTTP API, over a real socket, against the real pipeline and a real Chroma."""

import re
import shutil
import sys
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service.app import create_app
from service.pipeline import Pipeline
from service.prompts import cannot_answer
from service.question_text import INVISIBLE_RANGES
from tests.conftest import (
    CNN,
    CORPUS,
    INVISIBLE_ONLY,
    MEDUZA,
    ask,
    assert_citation_verbatim,
    citeline_serve,
    cli_env,
    make_settings,
    serve,
)

VARIED = [
    "What did Stoltenberg say about Ukraine's membership?",
    "What did Grushko say about Ukraine's membership?",
    "What did Stoltenberg say about sanctions?",
    "What did Grushko say about the Minsk agreements?",
    "What did Grushko say about NATO expansion?",
    "Is Russia ready to discuss intermediate-range missiles?",
    "What did NATO invite the Russian envoys to do?",
    "When did Russia and NATO meet?",
    "Who contributed reporting?",
    "What did the Defense Ministry say?",
    "Did Russia reject NATO's offer of more talks?",
    "What does Russia demand from NATO?",
    "Is NATO ready to reopen its missions in Moscow?",
]
OFF_CORPUS = [
    "What is the capital of Australia?",
    "What is the weather in Paris today?",
    "Who won the football world cup?",
    "What did Macron say about Ukraine?",
    "How do I bake sourdough bread?",
]


def test_stoltenberg_on_membership_cites_his_own_words(http: httpx.Client, ingested: Settings) -> None:
    body = ask(http, "What did Stoltenberg say about Ukraine's membership?")
    assert body["answered"] is True and body["conversation_id"]
    assert body["citations"], body
    cited = {(c["source"], c["line_start"]) for c in body["citations"]}
    assert (MEDUZA, 6) in cited
    line6 = [c["quote"] for c in body["citations"] if (c["source"], c["line_start"]) == (MEDUZA, 6)]
    assert any("right to choose" in q or "veto" in q for q in line6)
    assert (MEDUZA, 4) not in cited, "Grushko's paragraph cited as Stoltenberg's"
    assert all("Grushko" not in c["speaker"] for c in body["citations"])
    assert "Stoltenberg" in body["answer"]
    assert body["verification"] == {
        "verified": True,
        "checked": len(body["citations"]),
        "removed": [],
        "flagged": [],
        "answerer": "extractive",
    }


def test_a_headline_is_taken_from_a_retrieved_article_that_has_one(http: httpx.Client) -> None:
    # Both seeds are about the talks; only one has a headline line (the other opens with its date).
    body = ask(http, "What is the headline of the story about Russia and NATO talks in Brussels?")
    assert body["answered"], body["answer"]
    assert [(c["source"], c["line_start"]) for c in body["citations"]] == [(MEDUZA, 1)]


def test_attribution_trap_goes_the_other_way_too(http: httpx.Client) -> None:
    body = ask(http, "What did Grushko say about Ukraine's membership?")
    assert body["answered"]
    assert all(c["speaker"].endswith("Alexander Grushko") for c in body["citations"])
    assert all(c["line_start"] != 6 or c["source"] != MEDUZA for c in body["citations"])


def test_a_speaker_who_said_nothing_on_the_topic_is_not_given_anothers_words(http: httpx.Client) -> None:
    body = ask(http, "What did Stoltenberg say about the Minsk agreements?")
    assert body["answered"] is False and body["citations"] == []


@pytest.mark.parametrize("question", VARIED)
def test_every_citation_is_verbatim_and_every_marker_resolves(
    http: httpx.Client, ingested: Settings, question: str
) -> None:
    body = ask(http, question)
    assert body["answered"], f"{question!r} should be answerable: {body['answer']}"
    ids = {c["id"] for c in body["citations"]}
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", body["answer"])}
    assert markers == ids and ids == set(range(1, len(ids) + 1))
    for citation in body["citations"]:
        assert_citation_verbatim(ingested, citation)


@pytest.mark.parametrize("question", OFF_CORPUS)
def test_off_corpus_questions_are_refused(http: httpx.Client, question: str) -> None:
    body = ask(http, question)
    assert body["answered"] is False, body["answer"]
    assert body["citations"] == [] and body["answer"].startswith(cannot_answer())


def test_second_article_only_question(http: httpx.Client) -> None:
    body = ask(http, "Who contributed reporting?")
    assert [(c["source"], c["line_start"]) for c in body["citations"]] == [(CNN, 22)]


def test_top_k_and_conversation_id_are_honoured(http: httpx.Client) -> None:
    first = ask(http, "What did Stoltenberg say about sanctions?", top_k=3)
    assert len(first["retrieved"]) <= 3 and first["conversation_id"]
    again = ask(http, "What did Grushko say about NATO expansion?", conversation_id=first["conversation_id"])
    assert again["conversation_id"] == first["conversation_id"]
    unknown = http.post("/api/ask", json={"question": "Hi?", "conversation_id": "no-such-conversation"})
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no such conversation"}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"question": ""}, "must not be empty"),
        ({"question": "   \n "}, "must not be empty"),
        ({"question": "x" * 5000}, "too long"),
        ({}, "question"),
        ({"question": 42}, "question"),
        ({"question": "ok?", "top_k": 0}, "top_k"),
        ({"question": "ok?", "top_k": 1000}, "top_k"),
        ({"question": "ok?", "surprise": 1}, "surprise"),
    ],
)
def test_bad_requests_get_422_with_a_clear_message(http: httpx.Client, payload: dict, message: str) -> None:
    response = http.post("/api/ask", json=payload)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert isinstance(detail, str) and message in detail


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (b"{not json", "the request body is not valid JSON"),
        (b'{"question": "\xff"}', "the request body is not valid JSON: not UTF-8"),
        (b"", "the request body is empty: send a JSON object (content-type: application/json)"),
    ],
)
def test_malformed_json_is_a_client_error(http: httpx.Client, body: bytes, detail: str) -> None:
    response = http.post("/api/ask", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json() == {"detail": detail}


def test_a_trailing_slash_is_not_redirected_to_the_host_a_client_names(http: httpx.Client) -> None:
    response = http.get("/api/conversations/abc/", headers={"host": "evil.example"})
    assert response.status_code == 404 and "location" not in response.headers


def test_sources_endpoint(http: httpx.Client, ingested: Settings) -> None:
    body = http.get(f"/api/sources/{MEDUZA}").json()
    assert body["source"] == MEDUZA and len(body["lines"]) == 7
    assert (body["total_lines"], body["offset"], body["more"]) == (7, 0, False)
    assert body["lines"][4] == {"number": 5, "text": "NATO Secretary General Jens Stoltenberg"}
    assert http.get("/api/sources/nope.txt").status_code == 404


def test_sources_come_in_pages(http: httpx.Client) -> None:
    page = http.get(f"/api/sources/{MEDUZA}", params={"offset": 2, "limit": 3}).json()
    assert [line["number"] for line in page["lines"]] == [3, 4, 5]
    assert (page["total_lines"], page["offset"], page["more"]) == (7, 2, True)
    last = http.get(f"/api/sources/{MEDUZA}", params={"offset": 5}).json()
    assert [line["number"] for line in last["lines"]] == [6, 7] and last["more"] is False
    beyond = http.get(f"/api/sources/{MEDUZA}", params={"offset": 100}).json()
    assert beyond["lines"] == [] and beyond["total_lines"] == 7 and beyond["more"] is False
    for params in ({"limit": 0}, {"limit": 10_001}, {"offset": -1}, {"offset": "x"}):
        response = http.get(f"/api/sources/{MEDUZA}", params=params)
        assert response.status_code == 422 and response.json()["detail"].startswith(("query.offset", "query.limit")), (
            params
        )
    documented = http.get("/openapi.json").json()["paths"]["/api/sources/{source}"]["get"]
    parameters = {p["name"]: p["schema"] for p in documented["parameters"]}
    assert parameters["offset"]["minimum"] == 0 and parameters["limit"]["maximum"] == 10_000
    assert (
        parameters["limit"]["default"] == 2000
        and "CITELINE_MAX_FILE_BYTES" in documented["responses"]["404"]["description"]
    )


@pytest.fixture(scope="module")
def outside_file(ingested: Settings) -> str:
    """A real .txt file next to (not inside) the corpus, and a link inside pointing to it."""
    corpus = Path(ingested.store.corpus_dir)
    secret = corpus.parent / "secret.txt"
    secret.write_text("TOP SECRET line\n", encoding="utf-8")
    link = corpus / "link.txt"
    if not link.exists():
        link.symlink_to(secret)
    return "TOP SECRET"


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "..%2Fsecret.txt",
        "..%2fsecret.txt",
        "%2E%2E%2Fsecret.txt",
        "sub/..%2F..%2Fsecret.txt",
        "link.txt",
        "%2Fetc%2Fpasswd",
        "/etc/passwd",
        "..%2f" * 8 + "etc/hostname",
        "a" * 5000 + ".txt",
    ],
)
def test_sources_never_read_outside_the_corpus(http: httpx.Client, outside_file: str, path: str) -> None:
    response = http.get(f"/api/sources/{path}")
    assert response.status_code == 404, response.text
    assert outside_file not in response.text and "root:" not in response.text


@pytest.fixture()
def link_loop(ingested: Settings) -> Iterator[None]:
    corpus = Path(ingested.store.corpus_dir)
    (corpus / "loop2.txt").symlink_to("loop1.txt")
    (corpus / "loop1.txt").symlink_to("loop2.txt")
    yield
    (corpus / "loop1.txt").unlink()
    (corpus / "loop2.txt").unlink()


@pytest.mark.parametrize("path", ["loop1.txt", "loop2.txt", "./loop1.txt", "sub/../loop2.txt"])
def test_a_loop_of_links_is_not_found(http: httpx.Client, link_loop: None, path: str) -> None:
    response = http.get(f"/api/sources/{path}")
    assert response.status_code == 404 and response.json()["detail"].startswith("no such source")


def test_the_outside_file_is_really_there(ingested: Settings, outside_file: str) -> None:
    """Guards the test above: the file exists, so a 404 is the check's doing, not its absence."""
    assert outside_file in (Path(ingested.store.corpus_dir).parent / "secret.txt").read_text(encoding="utf-8")
    assert outside_file in (Path(ingested.store.corpus_dir) / "link.txt").read_text(encoding="utf-8")


def test_odd_characters_are_cleaned_and_wrong_bodies_are_client_errors(http: httpx.Client) -> None:
    raw = b'{"question": "What did Grushko say about\\u0000 NATO expansion?"}'
    response = http.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200  # control characters dropped
    assert response.json()["rewritten_question"] == "What did Grushko say about NATO expansion?"
    lone = b'{"question": "What \\ud800 did Grushko say?"}'  # not Unicode text
    refused = http.post("/api/ask", content=lone, headers={"content-type": "application/json"})
    assert refused.status_code == 422
    assert refused.json()["detail"] == "question must be valid Unicode text, without unpaired surrogates"
    listed = http.post("/api/ask", json=["a question?"])
    assert listed.status_code == 422 and "JSON object" in listed.json()["detail"]


@pytest.mark.parametrize("question", INVISIBLE_ONLY)
def test_a_question_of_invisible_characters_is_empty(http: httpx.Client, question: str) -> None:
    for route in ("/api/ask", "/api/ask/stream"):
        response = http.post(route, json={"question": question})
        assert response.status_code == 422, (route, response.text)
        assert response.json() == {"detail": "question must not be empty"}


def test_the_invisible_characters_are_unicodes_control_and_format_characters() -> None:
    listed = {cp for first, last in INVISIBLE_RANGES for cp in range(first, last + 1)}
    categorised = {cp for cp in range(sys.maxunicode + 1) if unicodedata.category(chr(cp)) in ("Cc", "Cf")}
    assert listed == categorised


def test_invisible_characters_inside_a_question_are_dropped(http: httpx.Client) -> None:
    body = ask(http, "\ufeffWhat did Grush\u200bko say about NATO\u00ad expansion?\u2060")
    assert body["rewritten_question"] == "What did Grushko say about NATO expansion?"
    assert body["answered"] and all(c["speaker"].endswith("Alexander Grushko") for c in body["citations"])


def test_health_and_docs(http: httpx.Client) -> None:
    health = http.get("/healthz").json()
    assert health["status"] == "ok" and health["units"] > 40 and health["store"] == "embedded"
    assert http.get("/docs").status_code == 200
    paths = http.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/sources/{source}", "/healthz"} <= set(paths)


@pytest.fixture(scope="module")
def old_mac(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[tuple[str, Settings]]:
    """The Meduza article with old Mac line endings (a lone \\r), alone in a corpus, served over HTTP."""
    tmp = tmp_path_factory.mktemp("old_mac")
    corpus = tmp / "corpus"
    corpus.mkdir()
    text = (CORPUS / MEDUZA).read_bytes().decode("utf-8")
    assert "\r" not in text
    (corpus / "mac.txt").write_bytes(text.replace("\n", "\r").encode("utf-8"))
    settings = make_settings(tmp, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    with serve(create_app(Pipeline(settings, UnitStore(settings), embedder))) as url:
        yield url, settings


def test_a_lone_carriage_return_ends_a_line_in_citations_and_the_source_view(old_mac: tuple[str, Settings]) -> None:
    url, settings = old_mac
    text = (Path(settings.store.corpus_dir) / "mac.txt").read_bytes().decode("utf-8")
    lines = text.removesuffix("\r").split("\r")  # a break that ends the file opens no line
    with httpx.Client(base_url=url, timeout=30) as http:
        body = ask(http, "What did Stoltenberg say about Ukraine's membership?")
        shown = http.get("/api/sources/mac.txt").json()["lines"]
    assert body["answered"] and body["verification"]["verified"], body
    assert [line["text"] for line in shown] == lines and len(lines) == 7
    assert shown[4] == {"number": 5, "text": "NATO Secretary General Jens Stoltenberg"}
    assert {c["line_start"] for c in body["citations"]} == {6}
    line6_start = sum(len(line) + 1 for line in lines[:5])
    for citation in body["citations"]:
        assert_citation_verbatim(settings, citation)
        assert citation["line_end"] == 6
        assert line6_start <= citation["char_start"] < citation["char_end"] <= line6_start + len(lines[5])
        assert citation["quote"] in shown[5]["text"]


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def long_article(path: Path, lines: int) -> None:
    path.write_text(
        "".join(f"Line {n} of the long council report says the harbour bridge opens in May.\n" for n in range(lines)),
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def long_sources(ingested: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """`citeline serve` (its own process, so its memory can be read) over a corpus with long
    articles: big.txt (40,000 lines, 3.1 MB), twelve more like it and one over the size limit."""
    tmp = tmp_path_factory.mktemp("long_sources")
    corpus = tmp / "corpus"
    shutil.copytree(ingested.store.corpus_dir, corpus, symlinks=True)
    long_article(corpus / "big.txt", 40_000)
    (corpus / "many").mkdir()
    for n in range(12):
        long_article(corpus / "many" / f"a{n:02d}.txt", 36_000)
    with (corpus / "huge.txt").open("wb") as huge:  # 6 MB, over the default 5 MiB
        huge.truncate(6_000_000)
    # An empty store of its own: the source view needs no index (and copying this process's open
    # SQLite files would drop its POSIX locks on them).
    env = cli_env(
        ingested, CITELINE_CORPUS_DIR=str(corpus), CITELINE_DATA_DIR=str(tmp / "data"), CITELINE_LOG_FORMAT="text"
    )
    with citeline_serve(env, ready="/openapi.json") as served:  # /healthz is a 503 with an empty index
        yield served


def test_a_long_article_is_parsed_once_however_it_is_named_and_comes_in_pages(long_sources: tuple[str, int]) -> None:
    url, pid = long_sources
    with httpx.Client(base_url=url, timeout=60) as http:
        first = http.get("/api/sources/big.txt").json()
        assert len(first["lines"]) == 2000 and first["total_lines"] == 40_000 and first["more"] is True
        before = rss_mb(pid)
        for n in range(1, 11):  # ./big.txt, ././big.txt, ...: one file, one cache entry
            # %2E: a client would remove a plain "./" from the URL before sending it.
            body = http.get(f"/api/sources/{'%2E/' * n}big.txt", params={"offset": 39_990}).json()
            assert body["source"] == "./" * n + "big.txt"
            assert [line["number"] for line in body["lines"]] == list(range(39_991, 40_001)) and not body["more"]
        grown = rss_mb(pid) - before
    print(f"RSS {before:.0f} MB after the first page, +{grown:.1f} MB after ten more names")
    assert grown < 20, f"RSS grew {grown:.0f} MB for ten names of one article"


def test_the_source_cache_is_bounded_by_bytes(long_sources: tuple[str, int]) -> None:
    url, pid = long_sources
    with httpx.Client(base_url=url, timeout=60) as http:
        http.get("/api/sources/many/a00.txt").raise_for_status()
        before = rss_mb(pid)
        for n in range(1, 12):
            http.get(f"/api/sources/many/a{n:02d}.txt", params={"limit": 1}).raise_for_status()
        grown = rss_mb(pid) - before
    print(f"RSS {before:.0f} MB after one long article, +{grown:.1f} MB after eleven more")
    # Each article takes about 30 MB parsed; the cache keeps 64 MiB of them.
    assert grown < 120, f"RSS grew {grown:.0f} MB for eleven more long articles"


def test_a_file_over_the_size_limit_is_not_served(long_sources: tuple[str, int]) -> None:
    url, _ = long_sources
    response = httpx.get(f"{url}/api/sources/huge.txt", timeout=30)
    assert response.status_code == 404
    assert response.json()["detail"] == (
        "huge.txt: 6,000,000 bytes, over CITELINE_MAX_FILE_BYTES (5,242,880): too large to serve (and not ingested)"
    )
