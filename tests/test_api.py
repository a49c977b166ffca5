"""The HTTP API, over a real socket, against the real pipeline and a real Chroma."""

import re
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
from tests.conftest import CNN, CORPUS, MEDUZA, ask, assert_citation_verbatim, make_settings, serve

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


def test_malformed_json_is_a_client_error(http: httpx.Client) -> None:
    response = http.post("/api/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and response.json()["detail"] == "the request body is not valid JSON"


def test_sources_endpoint(http: httpx.Client, ingested: Settings) -> None:
    body = http.get(f"/api/sources/{MEDUZA}").json()
    assert body["source"] == MEDUZA and len(body["lines"]) == 7
    assert body["lines"][4] == {"number": 5, "text": "NATO Secretary General Jens Stoltenberg"}
    assert http.get("/api/sources/nope.txt").status_code == 404


@pytest.fixture(scope="module")
def outside_file(ingested: Settings) -> str:
    """A real .txt file next to (not inside) the corpus, and a link inside pointing to it."""
    corpus = Path(ingested.corpus_dir)
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
    corpus = Path(ingested.corpus_dir)
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
    assert outside_file in (Path(ingested.corpus_dir).parent / "secret.txt").read_text(encoding="utf-8")
    assert outside_file in (Path(ingested.corpus_dir) / "link.txt").read_text(encoding="utf-8")


def test_odd_characters_are_cleaned_and_wrong_bodies_are_client_errors(http: httpx.Client) -> None:
    raw = b'{"question": "What did Grushko say about\\u0000 NATO expansion?"}'
    response = http.post("/api/ask", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 200  # control characters dropped
    assert response.json()["rewritten_question"] == "What did Grushko say about NATO expansion?"
    lone = b'{"question": "What \\ud800 did Grushko say?"}'  # not Unicode text
    refused = http.post("/api/ask", content=lone, headers={"content-type": "application/json"})
    assert refused.status_code == 422 and refused.json()["detail"].startswith("question:")
    listed = http.post("/api/ask", json=["a question?"])
    assert listed.status_code == 422 and "JSON object" in listed.json()["detail"]


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
    text = (Path(settings.corpus_dir) / "mac.txt").read_bytes().decode("utf-8")
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
