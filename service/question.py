"""Reading a question: who it asks about, whether it asks what they said, and its topic."""

import re

from pydantic import BaseModel

from service.corpus_index import CorpusIndex
from service.lexicon import SPEECH_CUES, WORD, topic_stems, words


class Question(BaseModel):
    text: str
    persons: list[str]  # speaker labels from the corpus that the question names
    asks_speech: bool  # "what did X say", "X's position on": only X's own words answer it
    topic: list[str]  # content stems without question words or the persons' names
    unknown_names: list[str]  # capitalised words of the question the corpus never uses
    expects: str  # "time", "place", "number", "person" or "" : what kind of answer is asked for


EXPECTS = (
    (re.compile(r"^\s*(?:when|what (?:day|date|time|year|month))\b|\bon what (?:day|date)\b", re.I), "time"),
    (re.compile(r"^\s*where\b|\bin what (?:city|country|place)\b", re.I), "place"),
    (re.compile(r"\bhow (?:many|much|long|old|far)\b", re.I), "number"),
    (re.compile(r"^\s*who\b", re.I), "person"),
)


def expected_answer(text: str) -> str:
    return next((kind for pattern, kind in EXPECTS if pattern.search(text)), "")


def name_words(label: str) -> set[str]:
    """The words by which a speaker is called: the surname of each name in the label."""
    return {words(part)[-1] for part in label.split(" and ") if words(part)}


def analyse(text: str, index: CorpusIndex) -> Question:
    tokens = words(text)
    token_set = set(tokens)
    persons = [s for s in index.speakers if name_words(s) & token_set]
    person_words = set().union(*(name_words(p) for p in persons)) if persons else set()
    raw = WORD.findall(text)
    # Capitalised words after the first are names; a name the corpus never uses means the
    # corpus cannot answer ("What is the capital of Australia?").
    unknown = [
        w for w in raw[1:]
        if w[0].isupper() and len(w) > 1 and words(w) and words(w)[0] not in index.vocabulary
    ]
    return Question(
        text=text,
        persons=persons,
        asks_speech=bool(persons) and bool(token_set & SPEECH_CUES),
        topic=topic_stems(text, exclude=person_words),
        unknown_names=unknown,
        expects=expected_answer(text),
    )
