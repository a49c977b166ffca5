"""Reading the time a question speaks of, against a reference date."""

from datetime import date

import pytest

from service.scope import Scope, period, without_phrase
from service.time_words import read_time

AS_OF = date(2026, 11, 30)  # a Monday


def archive_2022(first: date, last: date) -> bool:
    return first.year <= 2022 <= last.year


@pytest.mark.parametrize(
    ("question", "since", "until", "phrase"),
    [
        ("What did Stoltenberg say in January 2022?", "2022-01-01", "2022-01-31", "in January 2022"),
        ("What did he say last week?", "2026-11-23", "2026-11-29", "last week"),
        ("What happened yesterday?", "2026-11-29", "2026-11-29", "yesterday"),
        ("What was said this month?", "2026-11-01", "2026-11-30", "this month"),
        ("What was said last month?", "2026-10-01", "2026-10-31", "last month"),
        ("What did they report in the past two weeks?", "2026-11-16", "2026-11-30", "in the past two weeks"),
        ("What did he say 3 days ago?", "2026-11-27", "2026-11-27", "3 days ago"),
        # A day admits the week after it: the next day's paper reports it.
        ("What did he say on 12 January 2022?", "2022-01-12", "2022-01-19", "on 12 January 2022"),
        ("What did he say on January 12, 2022?", "2022-01-12", "2022-01-19", "on January 12, 2022"),
        ("What happened before 2022-01-13?", None, "2022-01-12", "before 2022-01-13"),
        ("What was said between 1 and 15 May 2023?", "2023-05-01", "2023-05-22", "between 1 and 15 May 2023"),
        ("What was said between March 2023 and May 2023?", "2023-03-01", "2023-05-31", None),
        ("What have they said since March 2023?", "2023-03-01", "2026-11-30", "since March 2023"),
        ("What were sales in 2004?", "2004-01-01", "2004-12-31", "in 2004"),
        # No year: its latest occurrence the archive has articles for.
        ("What did Stoltenberg say on January 12?", "2022-01-12", "2022-01-19", "on January 12"),
    ],
)
def test_periods(question: str, since: str | None, until: str | None, phrase: str | None) -> None:
    found = read_time(question, AS_OF, archive_2022)
    assert found is not None
    assert (str(found.since) if found.since else None, str(found.until) if found.until else None) == (since, until)
    if phrase:
        assert found.phrase == phrase


@pytest.mark.parametrize(
    "question",
    [
        "What did May say about the 2022 budget?",  # a name and an adjective, not times
        "Who won the final?",
        "What did the article of Wednesday, January 12 say?",  # a weekday is the article's, not ours
        "Who did he meet on 31 February 2022?",
        "How many of the 2000 delegates voted?",
    ],
)
def test_no_period(question: str) -> None:
    assert read_time(question, AS_OF, archive_2022) is None


def test_relative_periods_are_about_publication_and_latest_asks_for_the_newest() -> None:
    assert read_time("What did he say last week?", AS_OF).relative
    assert not read_time("What did he say in 2022?", AS_OF).relative
    latest = read_time("What is the latest on the talks?", AS_OF)
    assert latest.newest and latest.since is None and latest.until is None


def test_a_scope_is_a_chroma_filter() -> None:
    assert Scope().where() is None
    dated = Scope(since=date(2022, 1, 1), until=date(2022, 1, 31), undated=False, sources=["a.txt"])
    assert dated.where() == {
        "$and": [
            {"$and": [{"published_day": {"$gte": 20220101}}, {"published_day": {"$lte": 20220131}}]},
            {"source": {"$in": ["a.txt"]}},
        ]
    }
    assert Scope(until=date(2022, 1, 31)).where() == {
        "$or": [
            {"published_day": 0},
            {"$and": [{"published_day": {"$gte": 1}}, {"published_day": {"$lte": 20220131}}]},
        ]
    }


def test_periods_and_questions_read_as_sentences() -> None:
    assert period(date(2022, 1, 12), date(2022, 1, 12)) == "on 12 January 2022"
    assert period(None, date(2022, 1, 12)) == "up to 12 January 2022"
    assert without_phrase("What did he say last week?", "last week") == "What did he say?"


def test_a_scope_admits_what_its_filter_admits() -> None:
    from tests.conftest import hand_made_unit

    unit = hand_made_unit("Text.", [], "a.json", 3, "T")
    dated = unit.model_copy(update={"published_day": 20220113})
    january = Scope(since=date(2022, 1, 1), until=date(2022, 1, 31), undated=False)
    assert january.admits(dated) and not january.admits(unit)
    assert Scope(since=date(2022, 1, 1), until=date(2022, 1, 31)).admits(unit)
    assert not Scope(since=date(2022, 2, 1)).admits(dated)
    assert not Scope(sources=["b.json"]).admits(dated) and Scope(sources=["a.json"]).admits(dated)
