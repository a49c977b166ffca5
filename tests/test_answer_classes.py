"""Failure classes of answer selection, end to end over HTTP, on articles written for the test
(BBC style: headline, blank line, one paragraph per line). Each class has its rule tables
elsewhere (test_answer_type.py, test_voice.py, test_followup_rules.py); here the whole path must
choose the answering sentence over same-topic ones."""

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
from tests.conftest import ask, make_settings, serve

# Each value has a same-topic sentence beside it that shares more of the question's words and
# holds a number of another kind.
GARDEN = (
    "Museum opens rooftop garden",
    "Visitors to the Harbour Museum will be able to enjoy a new rooftop garden from next month, the museum said.",
    "Up to 300 adults at a time will be able to visit the rooftop garden.",
    "Tickets are priced at £6, with children admitted free.",
    "The rooftop garden was built with 3,000 plants from 12 countries.",
    "Work took two years.",
    "The museum expects 40,000 visitors in the first year.",
)

# A story to follow up: "Who directed it?" means the film of the last answer.
FESTIVAL = (
    "Harbour film festival names winners",
    "The drama Salt Line won four prizes at the Harbour film festival on Sunday, more than any other film.",
    "Salt Line was directed by Maria Keane, whose first feature it is.",
    "The documentary Tidewater took the audience award.",
    "Organisers said ticket sales rose by a fifth this year.",
)

# Another story where the follow-ups' own words fit better.
AWARDS = (
    "Spy thriller tops box office",
    "Who directed it? Sam Ruiz, who shot the spy thriller Nightfall in ten weeks.",
    "The audience award at the Elmford music awards went to the band Northern Lights.",
)

# A sale reported before it happened: "How much did it sell for?" has a false premise.
AUCTION = (
    "Painting to go under the hammer",
    "A rare painting by Elsa Marr is expected to fetch £2m when it is auctioned in London next month.",
    "The work was found in an attic in 2003.",
    "The auction house said interest from collectors had been strong.",
)

# An article asked about as an article: its headline, its gist, who it quotes, what it does not say.
BRIDGE = (
    "Council approves new footbridge",
    "A new footbridge over the River Elm was approved by Elmford council on Tuesday.",
    "Council leader Tom Hale said the bridge would link two communities.",
    '"It has taken ten years," said engineer Rosa Vance.',
    "Work will start in the spring.",
)


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory, embedder: MiniLMEmbedding) -> Iterator[httpx.Client]:
    tmp: Path = tmp_path_factory.mktemp("classes")
    corpus = tmp / "corpus"
    (corpus / "news").mkdir(parents=True)
    (corpus / "news" / "garden.txt").write_text("\n\n".join(GARDEN) + "\n", encoding="utf-8")
    (corpus / "news" / "festival.txt").write_text("\n\n".join(FESTIVAL) + "\n", encoding="utf-8")
    (corpus / "news" / "awards.txt").write_text("\n\n".join(AWARDS) + "\n", encoding="utf-8")
    (corpus / "news" / "auction.txt").write_text("\n\n".join(AUCTION) + "\n", encoding="utf-8")
    (corpus / "news" / "bridge.txt").write_text("\n\n".join(BRIDGE) + "\n", encoding="utf-8")
    settings: Settings = make_settings(tmp, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    with serve(create_app(pipeline)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def first_quote(body: dict) -> str:
    assert body["answered"], body["answer"]
    return body["citations"][0]["quote"]


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        # A value of the asked kind beats the sentence that shares the question's words.
        ("How much are tickets for the rooftop garden?", "£6"),
        ("How long did the rooftop garden take to build?", "two years"),
        ("How many visitors does the Harbour Museum expect in the first year?", "40,000"),
    ],
)
def test_a_factoid_is_answered_by_the_sentence_holding_a_value_of_the_asked_kind(
    http: httpx.Client, question: str, answer: str
) -> None:
    assert answer in first_quote(ask(http, question))


def test_a_number_of_another_kind_is_not_given_as_the_price(http: httpx.Client) -> None:
    body = ask(http, "How much will an adult pay to visit the rooftop garden?")
    # No article gives a price: refused, and "300 adults" is not offered as the nearest report either.
    assert not body["answered"], body["answer"]
    assert not any("300 adults" in c["quote"] for c in body["citations"])


@pytest.mark.parametrize(
    ("follow_up", "answer"),
    [
        ("Who directed it?", "Maria Keane"),  # a pronoun for the film of the last answer
        ("And the audience award?", "Tidewater"),  # ellipsis: the rest of the question is implied
    ],
)
def test_a_follow_up_is_about_the_story_of_the_last_answer(http: httpx.Client, follow_up: str, answer: str) -> None:
    first = ask(http, "Which film won the most prizes at the Harbour film festival?")
    assert "Salt Line" in first_quote(first)
    assert answer in first_quote(ask(http, follow_up, conversation_id=first["conversation_id"]))


def test_each_part_of_a_two_part_question_is_answered_or_said_to_be_unreported(http: httpx.Client) -> None:
    body = ask(http, "Which film won the most prizes at the Harbour film festival, and who directed it?")
    quotes = " ".join(c["quote"] for c in body["citations"])
    assert "won four prizes" in quotes and "Maria Keane" in quotes
    body = ask(http, "Which film won the most prizes at the Harbour film festival, and how much did it cost to make?")
    assert "won four prizes" in first_quote(body)
    assert "do not report the answer to “How much did it cost to make?”" in body["answer"]


def test_a_false_premise_is_refused_saying_what_is_reported(http: httpx.Client) -> None:
    body = ask(http, "How much did the Elsa Marr painting sell for at auction?")
    assert body["answered"] is False, body["answer"]
    assert body["answer"].startswith(cannot_answer())
    assert [c["quote"] for c in body["citations"]] == [AUCTION[1]]  # what is reported: an expectation


def test_a_question_about_the_article_is_answered_from_its_own_parts(http: httpx.Client) -> None:
    headline = ask(http, "What is the headline of the story about the River Elm footbridge?")
    assert first_quote(headline) == BRIDGE[0] and headline["citations"][0]["line_start"] == 1
    gist = ask(http, "What is the story about the River Elm footbridge mainly about?")
    assert first_quote(gist) == BRIDGE[1]
    quoted = ask(http, "Who is quoted in the story about the River Elm footbridge?")
    assert quoted["answered"] and {"Tom Hale", "Rosa Vance"} <= {c["speaker"] for c in quoted["citations"]}


def test_what_an_article_does_not_record_is_said_not_guessed(http: httpx.Client) -> None:
    author = ask(http, "Who wrote the story about the River Elm footbridge?")
    assert not author["answered"] and "does not say who wrote it" in author["answer"]
    published = ask(http, "When was the story about the River Elm footbridge published?")
    assert not published["answered"] and "does not say when it was published" in published["answer"]
