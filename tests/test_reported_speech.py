"""Answers from BBC-style reported speech, over HTTP: who said what, and all of what they said.

The articles are written for this test in the style of the BBC News data set (headline, blank
line, one paragraph per line; speakers introduced with asides, quotations that span sentences)
and sit beside the shipped corpus, so the index holds several articles and several speakers.
"""

import shutil
from collections.abc import Iterator

import httpx
import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service.app import create_app
from service.pipeline import Pipeline
from tests.conftest import CORPUS, ask, assert_citation_verbatim, make_settings, serve


def paragraphs(*lines: str) -> str:
    """An article: headline, blank line, one paragraph per line."""
    return "\n\n".join(lines) + "\n"


BRIDGE = paragraphs(
    "Council row over river bridge",
    "A plan to close the Elmford river bridge for two years has divided the town council. "
    "The closure mars the summer for traders.",
    "Council leader Ruth Alder - who has backed the closure since March - said the repairs could not wait. "
    '"The bridge is simply not safe for lorries. We would be failing residents if we waited for another winter."',
    'The plan was attacked by opposition councillor Tom Briggs, who called it "a bureaucratic overreaction". '
    "Mr Briggs said shops on the high street would lose a third of their trade.",
    "Engineers' report author, Dr Priya Nandi, said the cracks had grown by 4mm since the last survey.",
    "On Thursday Elmford Traders said they would seek a judicial review.",
)
CYCLING = paragraphs(
    "Star rider quits team",
    "Champion cyclist Jonas Wehrli has left the Alpine Racing team, saying he wanted a quieter life.",
    "Wehrli, a keen amateur astronomer, plans to watch the Mars rover landing from Chile.",
    "The team's manager, Carla Ruiz, said she respected the decision. "
    '"Jonas gave us six wonderful seasons," she added. "He will always be welcome here."',
    "\"I'm going to spend the summer with my family, and then I'll see,\" said veteran rider Jonas Wehrli.",
)
# A company that speaks through a spokeswoman and a statement, beside a campaigner who speaks
# for herself: the company's words are the answer to what the company said.
FERRY = paragraphs(
    "Ferry firm defends winter cuts",
    "Northwind Ferries is to cut its winter timetable to two sailings a day, blaming the rising cost of fuel.",
    "A Northwind Ferries spokeswoman said no jobs would be lost and that summer sailings were unaffected.",
    "Islanders' campaign leader Morag Innes said the cuts would leave families on the island cut off for days.",
    '"We have offered the council a full review of the timetable in March," the company said in a statement.',
)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Settings:
    tmp = tmp_path_factory.mktemp("reported")
    corpus = tmp / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "news").mkdir()
    (corpus / "news" / "bridge.txt").write_text(BRIDGE, encoding="utf-8")
    (corpus / "news" / "cycling.txt").write_text(CYCLING, encoding="utf-8")
    (corpus / "news" / "ferry.txt").write_text(FERRY, encoding="utf-8")
    settings = make_settings(tmp, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    return settings


@pytest.fixture(scope="module")
def http(settings: Settings, embedder: MiniLMEmbedding) -> Iterator[httpx.Client]:
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    with serve(create_app(pipeline)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def quoted(body: dict) -> str:
    return " ".join(c["quote"] for c in body["citations"])


def test_a_speaker_introduced_with_an_aside_is_quoted_whole(http: httpx.Client, settings: Settings) -> None:
    body = ask(http, "What did council leader Ruth Alder say about closing the bridge?")
    assert body["answered"], body["answer"]
    assert {c["speaker"] for c in body["citations"]} == {"Ruth Alder"}
    # The quotation after "said the repairs could not wait" is hers, and it is the point.
    assert "not safe for lorries" in quoted(body) and "another winter" in quoted(body)
    for citation in body["citations"]:
        assert_citation_verbatim(settings, citation)


def test_the_person_asked_about_is_the_speaker_not_everyone_the_question_names(http: httpx.Client) -> None:
    body = ask(http, "What did Tom Briggs say about the effect of Ruth Alder's plan on shops?")
    assert body["answered"], body["answer"]
    assert {c["speaker"] for c in body["citations"]} == {"Tom Briggs"}
    assert "a third of their trade" in quoted(body)


def test_a_name_between_commas_and_an_inverted_attribution_with_a_role(http: httpx.Client) -> None:
    body = ask(http, "What did Dr Priya Nandi say about the cracks?")
    assert body["answered"] and "4mm" in quoted(body)
    body = ask(http, "What did cyclist Jonas Wehrli say about his summer plans?")
    assert body["answered"], body["answer"]
    assert "with my family" in quoted(body)
    assert all(c["speaker"] == "Jonas Wehrli" for c in body["citations"])


def test_someone_who_is_named_but_not_asked_for_words_is_answered_by_the_reporter(http: httpx.Client) -> None:
    body = ask(http, "Which team did Jonas Wehrli leave?")
    assert body["answered"] and "Alpine Racing" in quoted(body)


def test_a_day_is_not_part_of_a_speakers_name(settings: Settings) -> None:
    speakers = {u.speaker for u in UnitStore(settings).all_units() if u.source == "news/bridge.txt"}
    assert "Elmford Traders" in speakers
    assert not any("Thursday" in s for s in speakers)


def test_a_question_about_someone_quoted_elsewhere_is_not_answered_with_others_words(http: httpx.Client) -> None:
    body = ask(http, "What did Carla Ruiz say about the bridge closure?")
    assert not body["answered"]
    assert "Ruiz" in body["answer"]


def test_a_name_is_not_matched_by_the_same_word_in_lower_case(http: httpx.Client) -> None:
    body = ask(http, "What will happen on Mars?")
    # Answered with the sentence about the planet, not the one where "mars" is a verb.
    assert "Mars rover" in quoted(body) and "mars the summer" not in quoted(body)
    assert not ask(http, "Who is the president of Mars?")["answered"]


def test_a_pronoun_inside_a_quotation_is_the_speakers_not_the_reporters(http: httpx.Client) -> None:
    body = ask(http, "What did Carla Ruiz say about Jonas Wehrli's decision to leave the team?")
    assert body["answered"], body["answer"]
    assert "always be welcome" in quoted(body)
    assert "Referring to" not in body["answer"]  # "He" is Wehrli, spoken of by Ruiz


def test_an_organisation_speaks_through_its_spokeswoman_and_its_statements(http: httpx.Client) -> None:
    body = ask(http, "What did Northwind Ferries say about jobs?")
    assert body["answered"], body["answer"]
    assert "no jobs would be lost" in quoted(body)
    assert "Morag Innes" not in {c["speaker"] for c in body["citations"]}
    body = ask(http, "What has Northwind Ferries offered the council?")
    assert body["answered"], body["answer"]
    assert "full review of the timetable" in quoted(body)
