"""The time a question speaks of: "in January 2022", "last week", "yesterday", "since March",
"between 1 and 15 May 2023", "the latest". Resolved against a reference date (the request's
`as_of`, today by default) into a range of publication days.

Month names come from the standard library's calendar, not from a list of ours. A date without
a year ("on January 12") means its most recent occurrence that the corpus has articles for,
else its most recent one before the reference date. A single day admits the week after it too:
an event is reported on its day or in the days that follow ("What did he say on 12 January?"
is answered by the next day's paper). Weekdays alone ("on Wednesday") are not resolved: in a
news archive they are relative to an article, not to the reader.
"""

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

REPORTED_WITHIN = timedelta(days=7)
_MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): number for number, name in enumerate(calendar.month_abbr) if name}
_MONTHS["sept"] = 9
MONTH = r"(?P<{}>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
YEAR = r"(?P<{}>(?:18|19|20|21)\d\d)"
DAY = r"(?P<{}>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
NUMBERS = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "few": 3}


def _pattern(p: str) -> str:
    """One date-like expression, its groups named with prefix `p`."""
    iso = r"(?P<" + p + r"iso>\d{4}-\d\d-\d\d)"
    return (
        f"(?:{iso}"
        f"|{DAY.format(p + 'd1')}\\s+(?:of\\s+)?{MONTH.format(p + 'm1')},?(?:\\s+{YEAR.format(p + 'y1')})?"
        f"|{MONTH.format(p + 'm2')}\\s+{DAY.format(p + 'd2')}(?:,?\\s+{YEAR.format(p + 'y2')})?(?![\\d:])"
        f"|{MONTH.format(p + 'm3')},?\\s+{YEAR.format(p + 'y3')}"
        f"|{MONTH.format(p + 'm4')}(?!\\s*\\d)"
        f"|{YEAR.format(p + 'y5')})"
    )


RELATIVE = re.compile(
    r"\b(?P<rel>today|yesterday|(?P<which>this|last|past|previous)\s+(?P<span>week|month|year)"
    r"|(?:in\s+)?the\s+(?:last|past)\s+(?P<n>\d+|a|one|two|three|four|five|six|seven|few)\s+"
    r"(?P<unit>day|week|month|year)s?"
    r"|(?P<agon>\d+|a|one|two|three|four|five|six|seven)\s+(?P<agounit>day|week|month|year)s?\s+ago)\b",
    re.IGNORECASE,
)
BETWEEN = re.compile(rf"\bbetween\s+{_pattern('a')}\s+and\s+{_pattern('b')}\b", re.IGNORECASE)
# A bare year or month only counts after a word that makes it a time ("in 2022"): "the 2022
# budget" and "May said" are not.
PLACED = re.compile(
    rf"\b(?P<prep>in|on|during|since|after|from|before|until|till|by|of|as of)\s+(?:early\s+|late\s+|mid-?)?"
    rf"{_pattern('x')}(?![\w-])",
    re.IGNORECASE,
)
# A full date needs no word before it ("What did he say 12 January 2022?").
DATED = re.compile(
    r"\b(?:(?P<ziso>\d{4}-\d\d-\d\d)"
    rf"|{DAY.format('zd')}\s+(?:of\s+)?{MONTH.format('zm')},?\s+{YEAR.format('zy')}"
    rf"|{MONTH.format('zm2')}\s+{DAY.format('zd2')},?\s+{YEAR.format('zy2')})\b",
    re.IGNORECASE,
)
# "between 1 and 15 May 2023": the first day borrows the second's month and year.
BETWEEN_DAYS = re.compile(
    rf"\bbetween\s+{DAY.format('first')}\s+and\s+{DAY.format('bd1')}\s+(?:of\s+)?{MONTH.format('bm1')}"
    rf"(?:,?\s+{YEAR.format('by1')})?\b",
    re.IGNORECASE,
)
NEWEST = re.compile(r"\b(?:latest|most recent(?:ly)?|newest)\b", re.IGNORECASE)


@dataclass(frozen=True)
class TimeWords:
    since: date | None
    until: date | None
    phrase: str  # the question's words that said it
    newest: bool  # "the latest": newest first
    # Said relative to the reader's today ("last week"): surely about when it was published,
    # where "in 2004" may be about when something happened.
    relative: bool = False


# Whether any dated article was published within [since, until] (the resolver asks the index).
Covered = Callable[[date, date], bool]


def read_time(text: str, as_of: date, covered: Covered = lambda since, until: False) -> TimeWords | None:
    """The time `text` speaks of, or None when it names none."""
    newest = bool(NEWEST.search(text))
    relative = _relative(text, as_of)
    found = _between(text, as_of, covered) or relative or _placed(text, as_of, covered)
    if found is None:
        return TimeWords(None, None, NEWEST.search(text).group(0), True) if newest else None  # type: ignore[union-attr]
    since, until, phrase = found
    return TimeWords(since, until, phrase, newest, relative=found is relative)


def _between(text: str, as_of: date, covered: Covered) -> tuple[date, date, str] | None:
    days = BETWEEN_DAYS.search(text)
    if days:
        last = _span(days, "b", as_of, covered)
        if last is None:
            return None
        try:
            return last[0].replace(day=int(days.group("first"))), last[1], days.group(0)
        except ValueError:
            return None
    match = BETWEEN.search(text)
    if not match:
        return None
    first = _span(match, "a", as_of, covered)
    last = _span(match, "b", as_of, covered)
    if first is None or last is None:
        return None
    return first[0], last[1], match.group(0)


def _relative(text: str, as_of: date) -> tuple[date, date, str] | None:
    match = RELATIVE.search(text)
    if not match:
        return None
    rel = match.group("rel").lower()
    if rel == "today":
        return as_of, as_of, match.group(0)
    if rel == "yesterday":
        day = as_of - timedelta(days=1)
        return day, day, match.group(0)
    if match.group("span"):
        span, this = match.group("span").lower(), match.group("which").lower() == "this"
        if span == "week":
            monday = as_of - timedelta(days=as_of.weekday())
            start = monday if this else monday - timedelta(days=7)
            return start, as_of if this else start + timedelta(days=6), match.group(0)
        if span == "month":
            first = as_of.replace(day=1)
            if this:
                return first, as_of, match.group(0)
            end = first - timedelta(days=1)
            return end.replace(day=1), end, match.group(0)
        if this:
            return as_of.replace(month=1, day=1), as_of, match.group(0)
        return date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31), match.group(0)
    if match.group("unit"):
        days = _count(match.group("n")) * UNITS[match.group("unit").lower()]
        return as_of - timedelta(days=days), as_of, match.group(0)
    days = _count(match.group("agon")) * UNITS[match.group("agounit").lower()]
    day = as_of - timedelta(days=days)
    width = UNITS[match.group("agounit").lower()] - 1
    return day - timedelta(days=width // 2), min(as_of, day + timedelta(days=width - width // 2)), match.group(0)


def _count(word: str) -> int:
    return int(word) if word.isdigit() else NUMBERS[word.lower()]


def _placed(text: str, as_of: date, covered: Covered) -> tuple[date, date, str] | None:
    match = PLACED.search(text) or DATED.search(text)
    if not match:
        return None
    if "prep" not in match.groupdict():
        found = _dated(match)
        return (found, found + REPORTED_WITHIN, match.group(0)) if found else None
    span = _span(match, "x", as_of, covered)
    if span is None:
        return None
    since, until = span
    prep = match.group("prep").lower()
    if prep in ("since", "after", "from"):
        return (since if prep != "after" else until + timedelta(days=1)), as_of, match.group(0)
    if prep in ("before", "until", "till", "by", "as of"):
        return None, (since - timedelta(days=1) if prep == "before" else until), match.group(0)
    return since, until, match.group(0)


def _dated(match: re.Match[str]) -> date | None:
    groups = {k: v for k, v in match.groupdict().items() if v}
    try:
        if "ziso" in groups:
            return date.fromisoformat(groups["ziso"])
        n = "" if "zd" in groups else "2"
        day, month, year = groups[f"zd{n}"], groups[f"zm{n}"], groups[f"zy{n}"]
        return date(int(year), _MONTHS[month.lower().rstrip(".")], int(day))
    except (KeyError, ValueError):
        return None


def _span(match: re.Match[str], p: str, as_of: date, covered: Covered) -> tuple[date, date] | None:
    """The days an expression spans: a day (and the week it is reported in), a month, a year."""
    got = {k[len(p) :]: v for k, v in match.groupdict().items() if v and k.startswith(p)}
    try:
        if "iso" in got:
            day = date.fromisoformat(got["iso"])
            return day, day + REPORTED_WITHIN
        if "y5" in got:
            year = int(got["y5"])
            return date(year, 1, 1), date(year, 12, 31)
        for n in "1234":
            if f"m{n}" in got:
                month = _MONTHS[got[f"m{n}"].lower().rstrip(".")]
                day = int(got[f"d{n}"]) if f"d{n}" in got else None
                year = int(got[f"y{n}"]) if f"y{n}" in got else None
                return _month_span(month, day, year, as_of, covered)
    except ValueError:  # 31 February
        return None
    return None


def _month_span(month: int, day: int | None, year: int | None, as_of: date, covered: Covered) -> tuple[date, date]:
    def span(y: int) -> tuple[date, date]:
        if day is not None:
            start = date(y, month, day)
            return start, start + REPORTED_WITHIN
        return date(y, month, 1), date(y, month, calendar.monthrange(y, month)[1])

    if year is not None:
        return span(year)
    latest = as_of.year if (month, day or 1) <= (as_of.month, as_of.day) else as_of.year - 1
    # The most recent such month (or day) that the archive reports on, within a few decades.
    for y in range(latest, latest - 30, -1):
        if covered(*span(y)):
            return span(y)
    return span(latest)
