"""How the extractive answer words each quote: verbatim, with who said it, and its marker.

The words around the quotes are fixed texts in `prompts/` (`quote_*`, `nearest*`, `refusal_*`,
`part_not_reported`), like every other fixed text; this module only chooses among them.
"""

import re

from ingest.text import is_institution, words
from service.prompts import load, render
from service.question import surname

# A pronoun the reporter uses for the speaker; inside a quotation ('"He did a great job"')
# the pronoun is the speaker's, about someone else.
PRONOUN_START = re.compile(r"^[^\w“\"‘']*(?:he|she|they)\b", re.IGNORECASE)
# The fixed texts an answer wraps a quote in.
QUOTE_FRAMES = (
    "article_headline",
    "article_opening",
    "article_date",
    "quote_reported",
    "quote_referring",
    "quote_according",
    "quote_also_said",
    "quote_according_body",
    "quote_also_said_body",
    "nearest",
    "nearest_according",
    "quote_reported_dated",
    "quote_referring_dated",
    "quote_according_dated",
    "quote_according_body_dated",
)


def quoted(text: str) -> str:
    if text[:1] in '“"‘' and text[-1:] in '”"’':
        return text  # already a quotation
    # A quote that itself holds double quotes is wrapped in single ones, as typesetters do.
    return f"‘{text}’" if re.search('[“”"]', text) else f"“{text}”"


def framing_words() -> set[str]:
    """The words the frames add around a quote, which claim nothing (for the support judge)."""
    return {w for name in QUOTE_FRAMES for w in words(re.sub(r"\{\w+\}", " ", load(name)))}


def sentence_for(unit_text: str, speakers: list[str], marker: int, first_for_speaker: bool, day: str = "") -> str:
    """One quote with its attribution and marker; `day` ("12 January 2022") opens it with the
    date its article was published, when that date is news to the reader."""
    quote = quoted(unit_text)
    dated = "_dated" if day else ""
    if not speakers:
        return f"{render('quote_reported' + dated, quote=quote, date=day)} [{marker}]"
    speaker = " and ".join(speakers)
    surnames = [surname(s) for s in speakers if surname(s)]
    if any(re.search(rf"\b{re.escape(s)}\b", unit_text, re.IGNORECASE) for s in surnames):
        return f"{render('quote_reported' + dated, quote=quote, date=day)} [{marker}]"
    if PRONOUN_START.match(unit_text):
        return f"{render('quote_referring' + dated, speaker=speaker, quote=quote, date=day)} [{marker}]"
    # Speakers that are bodies, not people, take an article: "according to the Defense Ministry".
    body = "_body" if is_institution(speaker) else ""
    short = speaker if body else " and ".join(s.split()[-1] for s in speakers)
    if day:
        named = speaker if first_for_speaker else short
        return f"{render('quote_according' + body + dated, speaker=named, quote=quote, date=day)} [{marker}]"
    if first_for_speaker:
        return f"{render('quote_according' + body, speaker=speaker, quote=quote)} [{marker}]"
    return f"{render('quote_also_said' + body, speaker=short, quote=quote)} [{marker}]"


def not_reported(parts: list[str]) -> str:
    """What an answer to a question of several parts says of the parts nothing answers."""
    return "".join(f" {render('part_not_reported', part=part)}" for part in parts)


def nearest(unit_text: str, speakers: list[str]) -> str:
    """What a refusal adds: the closest thing the corpus does report, as marker 1."""
    if speakers:
        return f"{render('nearest_according', speaker=' and '.join(speakers), quote=quoted(unit_text))} [1]"
    return f"{render('nearest', quote=quoted(unit_text))} [1]"


def unmentioned(names: list[str]) -> str:
    """Why a question about what the corpus never names is refused."""
    return render("refusal_unmentioned", names=", ".join(dict.fromkeys(names)))


def no_statement(speaker: str) -> str:
    """Why a question asking for someone's words is refused when they gave none on it."""
    return render("refusal_no_statement", speaker=speaker)


def article_part(aspect: str, unit_text: str) -> str:
    """An article's own part, asked for by name: its headline, opening, date line or byline."""
    return render(f"article_{aspect}", quote=quoted(unit_text))
