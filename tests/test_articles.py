"""Articles in every format: read with their metadata, ingested into a real Chroma, answered with
citations into their normalised text, filtered by date, dated in answers."""

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest

from ingest.corpus import UnreadableSource
from ingest.documents import read_documents
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service.app import create_app
from service.pipeline import Pipeline
from tests.conftest import CNN, CORPUS, MEDUZA, ask, make_settings, serve
from tests.news_corpus import FRONTED, PAGE, RECORDS, write_corpus


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Settings:
    tmp = tmp_path_factory.mktemp("news")
    write_corpus(tmp / "corpus")
    settings = make_settings(tmp, tmp / "corpus")
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    assert [s.reason for s in report.skipped] == ["archive.jsonl: record 2: no text (give it as text, body or content)"]
    return settings


@pytest.fixture(scope="module")
def client(news: Settings, embedder: MiniLMEmbedding) -> Iterator[httpx.Client]:
    with serve(create_app(Pipeline(news, UnitStore(news), embedder))) as url, httpx.Client(base_url=url) as c:
        yield c


# --- reading each format -----------------------------------------------------------------
def test_a_web_page_gives_its_main_text_and_metadata() -> None:
    (document,), problems = read_documents(PAGE.encode(), "web/nato.html")
    assert not problems
    lines = document.article.text.splitlines()
    assert lines[:2] == ["NATO chief warns Russia over Ukraine", ""]
    assert not any("Subscribe" in line or "Copyright" in line for line in lines), "menus and footers are no text"
    assert lines[2].startswith("NATO Secretary General Jens Stoltenberg said on Wednesday")
    meta = document.meta
    assert meta.published == "2022-01-12T14:30:00+01:00" and meta.published_day == 20220112
    assert (meta.url, meta.authors, meta.section) == (
        "https://news.example.com/world/nato-warns",
        ["Jane Reporter"],
        "World",
    )


def test_json_lines_records_are_articles_named_by_id_or_number() -> None:
    data = "\n".join(json.dumps(r) for r in RECORDS).encode() + b"\n{not json}\n"
    documents, problems = read_documents(data, "archive.jsonl")
    assert [d.source for d in documents] == ["archive.jsonl/budget-2023", "archive.jsonl/3"]
    assert problems[0] == "archive.jsonl: record 2: no text (give it as text, body or content)"
    assert problems[1].startswith("archive.jsonl: record 4: not JSON")
    harbour = documents[1]
    assert harbour.meta.published == "2023-03-17T09:00:00+00:00"
    assert harbour.meta.authors == ["Bo Reporter", "Cy Writer"]
    assert harbour.article.text == (
        "Harbour reopens after storm\n\nThe harbour reopened on Friday after a storm closed it for three days.\n"
        "Port officials said 40 ships had waited offshore.\n"
    )


def test_a_json_file_is_one_article_or_a_list_and_unsafe_urls_are_dropped() -> None:
    (one,), _ = read_documents(b'{"title": "T", "text": "A sentence.", "url": "javascript:alert(1)"}', "a.json")
    assert one.source == "a.json" and one.meta.url is None
    listed, _ = read_documents(b'[{"text": "One."}, {"text": "Two."}]', "b.json")
    assert [d.source for d in listed] == ["b.json/1", "b.json/2"]
    for bad, why in [(b"[1, 2", "not JSON"), (b'"text"', "neither an article"), (b'{"title": "T"}', "no text")]:
        with pytest.raises(UnreadableSource, match=why):
            read_documents(bad, "c.json")


def test_a_txt_front_matter_is_metadata_and_its_lines_keep_their_numbers() -> None:
    (document,), _ = read_documents(FRONTED.encode(), "lighthouse.txt")
    assert document.article.text == FRONTED, "a .txt article is the file itself"
    assert document.meta.title == "Lighthouse keeper retires" and document.meta.published == "2019-07-02"
    assert document.meta.authors == ["Dee Writer"] and document.meta.section == "Local"
    units = document.units()
    assert min(u.line for u in units) == 8, "no sentence is cut from the front matter"
    assert units[0].kind == "title" and units[-1].line == 10


def test_the_seed_date_line_dates_the_article() -> None:
    (document,), _ = read_documents((CORPUS / CNN).read_bytes(), CNN)
    assert document.meta.published == "2022-01-13"
    (undated,), _ = read_documents((CORPUS / MEDUZA).read_bytes(), MEDUZA)
    assert undated.meta.published is None


# --- ingested and answered ------------------------------------------------------------------
def test_citations_point_into_the_normalised_text_with_title_date_and_url(client: httpx.Client) -> None:
    body = ask(client, "How many ships waited offshore?")
    assert body["answered"], body["answer"]
    (citation,) = body["citations"]
    assert citation["source"] == "archive.jsonl/3" and citation["published"] == "2023-03-17T09:00:00+00:00"
    assert citation["title"] == "Harbour reopens after storm"
    assert body["answer"].startswith("On 17 March 2023, ")
    page = client.get(f"/api/sources/{citation['source']}").json()
    line = page["lines"][citation["line_start"] - 1]["text"]
    assert citation["quote"] in line
    assert page["meta"]["authors"] == ["Bo Reporter", "Cy Writer"]
    assert body["verification"]["verified"]


def test_a_web_page_is_cited_with_its_canonical_url(client: httpx.Client) -> None:
    body = ask(client, "Does Russia have a veto over who joins NATO?", sources=["web/nato.html"])
    assert body["answered"], body["answer"]
    assert {c["source"] for c in body["citations"]} == {"web/nato.html"}
    assert body["citations"][0]["url"] == "https://news.example.com/world/nato-warns"
    assert body["answer"].startswith("On 12 January 2022, ")


def test_since_and_until_restrict_answers_to_what_was_published_then(client: httpx.Client) -> None:
    inside = ask(client, "How many ships waited offshore?", since="2023-03-01", until="2023-03-31")
    assert inside["answered"] and inside["time_range"]["origin"] == "request"
    outside = ask(client, "How many ships waited offshore?", since="2024-01-01")
    assert not outside["answered"] and not outside["citations"]
    assert (
        "The articles cover 2 July 2019 to 17 March 2023; none was published since 1 January 2024."
        in (outside["answer"])
    )
    # Undated articles (the seed 000) are not admitted by a period the request gives.
    vetoed = ask(client, "What did Stoltenberg say about Russia's veto?", since="2022-01-13", until="2022-01-13")
    assert all(c["published"] and c["published"].startswith("2022-01-13") for c in vetoed["citations"])


def test_a_period_in_the_question_is_resolved_against_as_of(client: httpx.Client) -> None:
    body = ask(client, "How many ships waited offshore last week?", as_of="2023-03-22")
    assert body["time_range"] == {
        "since": "2023-03-13",
        "until": "2023-03-19",
        "as_of": "2023-03-22",
        "origin": "question",
        "phrase": "last week",
        "undated_included": False,
    }
    assert body["answered"] and body["citations"][0]["source"] == "archive.jsonl/3"
    later = ask(client, "What did the lighthouse keeper say last week?", as_of="2023-06-01")
    assert not later["answered"] and not later["citations"]
    assert later["answer"].endswith("none was published between 22 May 2023 and 28 May 2023.")
    # A calendar period may be the event's: articles without a date are searched too.
    veto = ask(client, "What did Stoltenberg say about Russia's veto in 2022?")
    assert veto["time_range"]["undated_included"] and veto["answered"]
    # Nothing dated in the period, and nothing undated answers: both said.
    future = ask(client, "What did the lighthouse keeper say in March 2031?")
    assert not future["answered"]
    assert future["answer"].endswith("none was published between 1 March 2031 and 31 March 2031.")


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"since": "2023-02-30"}, 422, "not a date"),
        ({"since": "2023-3-1"}, 422, "since"),
        ({"since": 1678000000}, 422, "since"),
        ({"until": "2023-03-01T00:00:00"}, 422, "until"),
        ({"sources": ["no/such.html"]}, 404, "no article named 'no/such.html'"),
        # An empty period is refused as any period without articles is.
        ({"since": "2023-03-02", "until": "2023-03-01"}, 200, "none was published between 2 March 2023 and 1 March"),
        ({"sources": []}, 200, "offshore"),
    ],
)
def test_bad_restrictions_are_client_errors(client: httpx.Client, body: dict, status: int, detail: str) -> None:
    response = client.post("/api/ask", json={"question": "How many ships waited offshore?", **body})
    assert response.status_code == status, response.text
    assert detail in response.text


def test_the_openai_api_takes_restrictions_as_extra_fields(client: httpx.Client) -> None:
    request = {"messages": [{"role": "user", "content": "How many ships waited offshore?"}], "since": "2024-01-01"}
    response = client.post("/v1/chat/completions", json=request)
    assert response.status_code == 200, response.text
    assert "none was published since 1 January 2024" in response.json()["choices"][0]["message"]["content"]


def test_a_changed_records_file_replaces_its_articles(tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus)
    settings = make_settings(tmp_path, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    (corpus / "archive.jsonl").write_text(json.dumps(RECORDS[0]) + "\n", encoding="utf-8")
    (corpus / "web" / "nato.html").unlink()
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    assert report.updated == ["archive.jsonl"] and report.deleted == ["web/nato.html"]
    store = UnitStore(settings)
    sources = {u.source for u in store.all_units()}
    assert "archive.jsonl/3" not in sources and "web/nato.html" not in sources
    assert "archive.jsonl/budget-2023" in sources
    articles = {a.source for a in store.all_articles()}
    assert articles == sources
    within = store.units.get(where={"published_day": {"$gte": 20230301}}, include=[])
    assert {i.split("#")[0] for i in within["ids"]} == {"archive.jsonl/budget-2023"}


def test_a_near_duplicate_story_is_answered_once_with_its_copies_listed(client: httpx.Client) -> None:
    body = ask(client, "How long had the Kessel river bridge been closed?")
    assert body["answered"], body["answer"]
    assert {c["source"] for c in body["citations"]} == {"wire/first.json"}, "the earliest copy is the one quoted"
    assert all(c["also_in"] == ["wire/reprint.json"] for c in body["citations"])
    assert "wire/reprint.json" not in {r["source"] for r in body["retrieved"]}
    # Named, a copy is answered from.
    named = ask(client, "How long had the Kessel river bridge been closed?", sources=["wire/reprint.json"])
    assert {c["source"] for c in named["citations"]} == {"wire/reprint.json"}
    assert named["citations"][0]["also_in"] == ["wire/first.json"]


def test_dates_of_answers_are_said_once_and_newest_first() -> None:
    from service.extractive import compose, newest
    from service.retrieve import Candidate
    from service.scoring import Scored
    from tests.conftest import hand_made_unit

    def scored(text: str, published: str) -> Scored:
        unit = hand_made_unit(text, ["Ann Minister"], f"{published}.json", 3, "T")
        unit = unit.model_copy(update={"published": published, "published_day": int(published.replace("-", ""))})
        candidate = Candidate(unit=unit, similarity=0.5)
        return Scored(candidate=candidate, coverage=0.5, score=0.5, own_words=True, answers=0.9, eligible=True)

    older, newer = scored("Taxes will stay.", "2023-01-05"), scored("Taxes will fall.", "2023-03-14")
    text, citations = compose([older, newer])
    assert [c.published for c in citations] == ["2023-03-14", "2023-01-05"]
    assert text == (
        "On 14 March 2023, Ann Minister was quoted as saying: “Taxes will fall.” [1] "
        "On 5 January 2023, Minister was quoted as saying: “Taxes will stay.” [2]"
    )
    assert date.fromisoformat(citations[0].published) > date.fromisoformat(citations[1].published)
    # "The latest": only the newest day's answering sentences are chosen from.
    assert newest([older, newer]) == [newer]
    assert newest([older.model_copy(update={"answers": 0.0}), newer.model_copy(update={"answers": 0.0})]) == [
        older.model_copy(update={"answers": 0.0}),
        newer.model_copy(update={"answers": 0.0}),
    ]


def test_a_page_saved_in_another_charset_is_read_in_it() -> None:
    page = (
        '<html><head><meta charset="windows-1252"><title>Café reopens</title></head><body><article>'
        "<p>The café served crème brûlée to ‘every’ guest on Sunday.</p></article></body></html>"
    )
    (document,), _ = read_documents(page.encode("cp1252"), "cafe.html")
    assert "The café served crème brûlée to ‘every’ guest on Sunday." in document.article.text.splitlines()


def test_the_stream_takes_restrictions_and_reports_the_period(client: httpx.Client) -> None:
    body = {"question": "How many ships waited offshore?", "since": "2023-03-01", "until": "2023-03-31"}
    with client.stream("POST", "/api/ask/stream", json=body) as response:
        assert response.status_code == 200
        events = [json.loads(line[len("data: ") :]) for line in response.iter_lines() if line.startswith("data: ")]
    done = events[-1]
    assert done["answered"] and done["time_range"]["since"] == "2023-03-01"
    assert done["citations"][0]["published"] == "2023-03-17T09:00:00+00:00"
