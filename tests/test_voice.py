"""Whose words a sentence gives, one row per rule: no embedder, no Chroma, no HTTP."""

import pytest

from ingest.corpus_index import CorpusIndex
from ingest.units import Unit
from service import voice
from service.question import analyse
from tests.conftest import hand_made_unit


def unit(text: str, speaker: str = "", source: str = "news/a.txt", line: int = 3) -> Unit:
    return hand_made_unit(text, [speaker] if speaker else [], source, line, "Club fined over crowd trouble")


# Two articles: a club that speaks through statements, and elsewhere a manager of another club
# whose label ends in the word "City".
INDEX = CorpusIndex.in_memory(
    [
        unit("Rovers have been fined after crowd trouble at the derby.", source="news/a.txt", line=1),
        unit("A Rovers spokesman said the club would appeal.", source="news/a.txt", line=3),
        unit("Mr Hale said the fine was deserved.", speaker="Peter Hale", source="news/a.txt", line=5),
        unit("The team played well, said Man City.", speaker="Man City", source="news/b.txt", line=3),
        unit("Scotland Yard said two fans were arrested.", speaker="Scotland Yard", source="news/c.txt", line=3),
    ]
)


@pytest.mark.parametrize(
    ("asked", "sources", "persons", "asks_speech", "body"),
    [
        # A body's words: no person, the body's name.
        ("What did Rovers say about the fine?", {"news/a.txt"}, [], False, ["rovers"]),
        # A person, titled in the corpus ("Mr Hale"), is no body.
        ("What did Peter Hale say about the fine?", {"news/a.txt"}, ["Peter Hale"], True, []),
        # One word of a speaker's name counts only where the retrieved articles hear from them ...
        ("What is the City of Leeds's position on the fine?", {"news/a.txt"}, [], False, ["leeds"]),
        # ... and a full name counts wherever it is; its speaker's words are then the only voice.
        ("What did Scotland Yard say about the derby?", {"news/a.txt"}, ["Scotland Yard"], True, []),
    ],
)
def test_whose_words_a_question_asks_for(
    asked: str, sources: set[str], persons: list[str], asks_speech: bool, body: list[str]
) -> None:
    question = analyse(asked, INDEX, sources)
    assert (question.persons, question.asks_speech, question.voice) == (persons, asks_speech, body)


@pytest.mark.parametrize(
    ("sentence", "speaker", "expected"),
    [
        ("A Rovers spokesman said the club would appeal.", "", True),
        ("The club said it would appeal.", "", True),  # the article names the body
        ("The club is said to be furious.", "", False),  # passive: nobody speaks
        ("Rovers have been fined after crowd trouble.", "", False),  # the reporter's words
        ("Mr Hale said the fine was deserved.", "Peter Hale", False),  # a named person's
    ],
)
def test_a_body_speaks_through_unnamed_statements_in_an_article_that_names_it(
    sentence: str, speaker: str, expected: bool
) -> None:
    question = analyse("What did Rovers say about the fine?", INDEX, {"news/a.txt"})
    assert voice.own_words(unit(sentence, speaker), question, naming_sources={"news/a.txt"}) is expected


@pytest.mark.parametrize(
    ("label", "body", "expected"),
    [
        ("Scotland Yard", ["scotland", "yard"], True),
        ("Football Association", ["fa"], True),  # by its initials
        ("Lakshmi Mittal", ["mittal", "steel"], False),  # a person who shares a word
        ("Conservative", ["conservatives"], True),  # in another inflection
    ],
)
def test_a_speaker_label_is_the_body_by_its_words_or_initials(label: str, body: list[str], expected: bool) -> None:
    assert voice.names_body(label, body) is expected


def test_a_statement_names_the_body_in_any_inflection() -> None:
    statement = unit("A Conservative spokesperson said the plan was a stunt.", source="news/d.txt")
    assert voice.mentions(statement, ["conservatives"]) and not voice.mentions(statement, ["labour"])
