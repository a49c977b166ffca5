"""What a question is restricted to: a period of publication and, optionally, named articles.

A period comes from the request (`since`, `until`) or, when the request gives none, from the
question's own words (service/time_words.py), resolved against `as_of`. A period the request
gives admits dated articles only, and so does one a question gives relative to today ("last
week") in an archive that is mostly dated: there it means when things were published. Any other
period read from a question also keeps the articles with no date: its words may be about the
event rather than the paper ("sales in 2004", "growth this year" in a 2005 article), and an
undated article cannot be ruled out. Its words are taken out of
what is looked for only when dated articles fall in the period (there they say when it was
published; elsewhere they are part of what is asked). A corpus without any dated article
ignores a question's period.
"""

import calendar
import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from ingest.article_meta import day_number as published_day
from ingest.corpus_index import CorpusIndex
from ingest.units import Unit
from service.prompts import load, render
from service.time_words import read_time

MAX_DAY = 99991231
# An archive this much of which is dated reads a question's period as when things were published.
MOSTLY_DATED = 0.5


class TimeRange(BaseModel):
    """The period an answer was restricted to, as the response reports it."""

    since: date | None = Field(description="First publication day admitted; null = no lower bound.")
    until: date | None = Field(description="Last publication day admitted; null = no upper bound.")
    as_of: date = Field(description="The reference date relative expressions were resolved against.")
    origin: Literal["request", "question"] = Field(description="Given as since/until, or read from the question.")
    phrase: str | None = Field(None, description="The question's words that gave the period.")
    undated_included: bool = Field(description="Articles with no publication date were searched too.")


class Scope(BaseModel):
    since: date | None = None
    until: date | None = None
    sources: list[str] = []
    undated: bool = True  # articles without a date are admitted
    newest_first: bool = False  # the question asks for the latest

    @property
    def dated(self) -> bool:
        return self.since is not None or self.until is not None

    @property
    def days(self) -> tuple[int, int]:
        return day_number(self.since), day_number(self.until) if self.until else 0

    @property
    def restricted(self) -> bool:
        return self.dated or bool(self.sources)

    def admits(self, unit: Unit) -> bool:
        """Whether the unit is inside this scope (what `where` asks Chroma)."""
        if self.sources and unit.source not in self.sources:
            return False
        if not self.dated:
            return True
        if not unit.published_day:
            return self.undated
        since, until = self.days
        return unit.published_day >= since and (not until or unit.published_day <= until)

    def where(self) -> dict[str, object] | None:
        """The same restriction as a Chroma `where` filter on the units' metadata."""
        conditions: list[dict[str, object]] = []
        if self.dated:
            since, until = self.days
            period: dict[str, object] = {
                "$and": [{"published_day": {"$gte": max(since, 1)}}, {"published_day": {"$lte": until or MAX_DAY}}]
            }
            conditions.append({"$or": [{"published_day": 0}, period]} if self.undated else period)
        if self.sources:
            conditions.append({"source": {"$in": list(self.sources)}})
        if not conditions:
            return None
        return conditions[0] if len(conditions) == 1 else {"$and": conditions}


def day_number(day: date | None) -> int:
    """YYYYMMDD, as units store `published_day`; 0 for none."""
    return published_day(day.isoformat() if day else None)


def from_day_number(number: int) -> date:
    return date(number // 10000, number // 100 % 100, number % 100)


def scope_of(
    question: str,
    index: CorpusIndex,
    as_of: date,
    since: date | None = None,
    until: date | None = None,
    sources: list[str] | None = None,
) -> tuple[Scope, TimeRange | None]:
    """The scope of one question and the period to report, if any."""
    span = index.dated_span

    def covered(first: date, last: date) -> bool:
        return span is not None and span[0] <= day_number(last) and day_number(first) <= span[1]

    words = read_time(question, as_of, covered)
    newest = bool(words and words.newest)
    if since is not None or until is not None:
        scope = Scope(since=since, until=until, sources=sources or [], undated=False, newest_first=newest)
        return scope, TimeRange(since=since, until=until, as_of=as_of, origin="request", undated_included=False)
    if words is None or (words.since is None and words.until is None) or span is None:
        return Scope(sources=sources or [], newest_first=newest), None
    undated = not (words.relative and index.dated_share >= MOSTLY_DATED)
    scope = Scope(since=words.since, until=words.until, sources=sources or [], undated=undated, newest_first=newest)
    report = TimeRange(
        since=words.since,
        until=words.until,
        as_of=as_of,
        origin="question",
        phrase=words.phrase,
        undated_included=undated,
    )
    return scope, report


def spoken(day: date) -> str:
    """A date as an answer says it: "12 January 2022"."""
    return f"{day.day} {calendar.month_name[day.month]} {day.year}"


def period(since: date | None, until: date | None) -> str:
    if since and until:
        return f"on {spoken(since)}" if since == until else f"between {spoken(since)} and {spoken(until)}"
    if since:
        return f"since {spoken(since)}"
    return f"up to {spoken(until)}" if until else "at any time"


def outside(scope: Scope, index: CorpusIndex) -> str:
    """Why nothing could be searched: the period (or articles) asked for holds no article,
    saying which period the corpus does cover."""
    if not scope.dated:
        return load("sources_empty")
    asked = period(scope.since, scope.until)
    span = index.dated_span
    if span is None:
        return render("period_no_dates", period=asked)
    first, last = (spoken(from_day_number(day)) for day in span)
    if first == last:
        return render("period_one_day", first=first, period=asked)
    return render("period_not_covered", first=first, last=last, period=asked)


def without_phrase(question: str, phrase: str) -> str:
    """The question without the words that gave its period ("What did he say last week?" ->
    "What did he say?"): they restrict where to look, they are not what to look for."""
    at = question.find(phrase)
    if at < 0:
        return question
    rest = f"{question[:at].rstrip()} {question[at + len(phrase) :].lstrip()}".strip()
    return re.sub(r"\s+([?.!,])", r"\1", rest)


def dated_within(scope: Scope, index: CorpusIndex) -> bool:
    """Whether any dated article was published within the scope's period."""
    return bool(index.positions_within(*scope.days, scope.sources).size)


def said_outside(scope: Scope, index: CorpusIndex) -> bool:
    """Whether a refusal should add that no dated article is from the period searched (the
    undated ones were searched and none answered): in an archive that is mostly dated, where
    a period means when things were published."""
    if not scope.dated or not scope.undated or dated_within(scope, index):
        return False
    return index.dated_share >= MOSTLY_DATED
