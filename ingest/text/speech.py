"""How running text says who speaks: "<name> said", '“...,” said <name>', "according to <name>"."""

import re

from ingest.text.names import NAME_PHRASE
from ingest.text.wordlists import alternation, forms_of, load, speech_forms, speech_lemmas

SPEECH_VERBS = alternation(speech_forms("attribution"))
# "has said", "also told", "had earlier warned": words between a speaker and the verb.
AUXILIARY = r"(?:(?:has|had|have|also|earlier|later|previously|then|once)\s+){0,2}"
SPEECH = rf"{AUXILIARY}(?:{SPEECH_VERBS})\b"
SPEAKER_BEFORE_VERB = re.compile(rf"({NAME_PHRASE}(?:\s+and\s+{NAME_PHRASE})?)\s+{SPEECH}")
# A name, an aside between commas or dashes, then the verb: "Gerry Conlon - who was wrongly
# convicted - said", "her lawyer, Perry Wander, said", "Edward Leigh, chairman of ..., said".
SPEAKER_ASIDE_VERB = re.compile(
    rf"({NAME_PHRASE})(?:,(?:\s+(?!and\b|but\b|or\b)[^,.!?\"“”]{{2,120}},)?|\s[-–—]\s+[^-–—.!?\"“”]{{2,160}}\s[-–—])\s+{SPEECH}"
)
# Inverted attribution only after a quote or a comma: “...,” said Wales coach Mike Ruddock.
# The words up to the next comma or stop are searched for the name ("coach" is not one).
AFTER_VERB = re.compile(
    rf"[,”\"’]\s*(?:{alternation(speech_forms('inverted'))})\s+"
    r"(?!(?:they|he|she|it|we|I|you|that|this)\b)((?:[\w’'-]+\s+){0,3}?[A-Z][^,.;:!?\"“”]{0,60})"
)
ACCORDING_TO = re.compile(r"\b[Aa]ccording to\s+([^,.;:!?\"“”]{1,80})")
# “...,” said a spokesman, or “...,” the company said: the quotation is someone's the text does
# not name. A sentence ending in "said." is too, where no name or pronoun was found before it.
UNNAMED_SPEECH = re.compile(
    rf"[,”\"’]\s*(?:(?:the|a|an)\s+(?:[a-z]+\s+){{0,3}})?(?:{alternation(speech_forms('unnamed'))})\b"
    rf"|\b(?:{alternation(forms_of('say'))})\.?[”\"’]?$"
)
PRONOUN_SPEECH = re.compile(rf"\b(?:[Hh]e|[Ss]he)\s+{SPEECH}")
FIRST_PERSON = re.compile(r"\b(?:I|we|We|us|our|Our|my|My)\b")
# A body's reported words: a verb of saying in the active voice ("the company said"; not "is
# said to", "are believed to").
STATEMENT = re.compile(
    r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bbeen )(?<!\bbe )"
    rf"\b(?:{alternation(speech_forms('statement'))})\b"
)
# What a question asks for when it asks for someone's words or stance ("What did X say?",
# "Is she open to ...?", "X's position on ..."): verbs of saying as lemmas, stance words, nouns.
ASKING_VERBS = alternation(speech_lemmas("question") + load("stance_words"))
STANCE_NOUNS = alternation(load("stance_nouns"))
# An expectation, plan or claim, not an outcome: "is expected to", "could", "plans to".
HEDGE = re.compile(rf"\b(?:{alternation(load('hedges'))})\b", re.IGNORECASE)


def according_to(text: str) -> list[str]:
    """Who the text's "according to ..." phrases name (the words up to the next stop)."""
    return [match.group(1) for match in ACCORDING_TO.finditer(text)]
