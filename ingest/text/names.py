"""How names are written: capitalised runs, honorifics and titles, possessives, role words."""

import re

from ingest.text.wordlists import alternation, load

# A nickname in quotes may stand inside a name: Brian 'Head' Welch.
NAME_WORD = r"['‘]?[A-Z][\w’'.\-]*"
NAME_PHRASE = rf"(?:{NAME_WORD}\s+){{0,6}}{NAME_WORD}"
CAPITALISED_RUN = re.compile(NAME_PHRASE)
# Up to four capitalised words: what a question or a sentence names ("Scotland Yard").
NAME_RUN = re.compile(r"(?:[A-Z][\w’'-]+\s+){0,3}[A-Z][\w’'-]+")
HONORIFICS = frozenset(load("honorifics"))
TITLES = HONORIFICS | frozenset(load("titles"))
# "Mr Campbell", "President Vladimir Putin": a person mentioned, who may speak later as "he".
# Titles run together ("Deputy Prime Minister John Prescott"): the name is what follows them all.
_TITLE = alternation(tuple(TITLES))
TITLED_NAME = re.compile(rf"\b(?:(?:{_TITLE})\.?\s+)+(?!(?:{_TITLE})\b)((?:[A-Z][\w’'-]+\s+){{0,2}}[A-Z][\w’'-]+)")
# "journalist Andrew McFadyen": a lower-case role word, then a given name and a surname.
ROLE_THEN_NAME = re.compile(
    rf"\b(?!(?:{alternation(load('function_words'))})\b)[a-z]{{3,}}\s+([A-Z][a-z]+\s+[A-Z][\w’'-]+)"
)
POSSESSIVE = re.compile(r"[’']s$")
# Capitalised words that start sentences or name no one.
NOT_NAMES = frozenset(load("sentence_starters")) | frozenset(load("months")) | frozenset(load("days"))
# A year as news writes it (1800-2099).
YEAR = r"\b(?:1[89]|20)\d\d\b"
# Regex alternations of the month and day names, for dates.
MONTHS = alternation(load("months"))
DAYS = alternation(load("days"))
# A speaker that is a body, not a person ("the Defense Ministry").
INSTITUTION = re.compile(rf"\b(?:{alternation(load('institutions'))})$")


def titled_names(text: str) -> list[str]:
    """The names the text gives with a title or honorific ("President Vladimir Putin" -> "Vladimir Putin")."""
    return [match.group(1) for match in TITLED_NAME.finditer(text)]


def is_institution(speaker: str) -> bool:
    return bool(INSTITUTION.search(speaker))
