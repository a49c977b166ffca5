"""How the extractive answer words each quote: verbatim, with who said it, and its marker."""

import re

from ingest.text import is_institution
from service.question import surname

# A pronoun the reporter uses for the speaker; inside a quotation ('"He did a great job"')
# the pronoun is the speaker's, about someone else.
PRONOUN_START = re.compile(r"^[^\w“\"‘']*(?:he|she|they)\b", re.IGNORECASE)


def quoted(text: str) -> str:
    if text[:1] in '“"‘' and text[-1:] in '”"’':
        return text  # already a quotation
    # A quote that itself holds double quotes is wrapped in single ones, as typesetters do.
    return f"‘{text}’" if re.search('[“”"]', text) else f"“{text}”"


def sentence_for(unit_text: str, speakers: list[str], marker: int, first_for_speaker: bool) -> str:
    quote = quoted(unit_text)
    if not speakers:
        return f"The article reports: {quote} [{marker}]"
    speaker = " and ".join(speakers)
    surnames = [surname(s) for s in speakers if surname(s)]
    names_speaker = any(re.search(rf"\b{re.escape(s)}\b", unit_text, re.IGNORECASE) for s in surnames)
    if names_speaker:
        return f"The article reports: {quote} [{marker}]"
    if PRONOUN_START.match(unit_text):
        return f"Referring to {speaker}, the article reports: {quote} [{marker}]"
    if first_for_speaker:
        # Speakers that are bodies, not people, take an article: "according to the Defense Ministry".
        who = f"the {speaker}" if is_institution(speaker) else speaker
        return f"According to {who}, {quote} [{marker}]"
    short = " and ".join(s.split()[-1] for s in speakers)
    if is_institution(speaker):
        short = f"The {speaker}"
    return f"{short} also said, {quote} [{marker}]"


def not_reported(parts: list[str]) -> str:
    """What an answer to a question of several parts says of the parts nothing answers."""
    return "".join(f" The articles do not report the answer to “{part}”" + "." for part in parts)


def nearest(unit_text: str, speaker: str) -> str:
    """What a refusal adds: the closest thing the corpus does report, as marker 1."""
    said = f", according to {speaker}" if speaker else ""
    return f"The nearest it reports{said}: {quoted(unit_text)} [1]"
