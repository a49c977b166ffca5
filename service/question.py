"""Reading a question: who it asks about, whether it asks what they said, and its topic."""

import re

from llama_index.core.utils import globals_helper
from pydantic import BaseModel

from ingest.structure import TITLES
from service.corpus_index import CorpusIndex
from service.lexicon import QUESTION_WORDS, WORD, topic_stems, words

# "What did <Name> say/think/...": the question asks for that person's own words.
ASKED_SPEAKER = re.compile(
    r"\b(?:did|does|do|has|have)\s+((?:[A-Z][\w’'-]+\s+){0,3}[A-Z][\w’'-]+)\s+(?:himself\s+|herself\s+)?"
    r"(?:say|tell|think|claim|argue|respond|react|reply|comment|answer|mention|describe|warn)\b"
)


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


LOWER_TITLES = {t.lower() for t in TITLES}
COMMON = set(globals_helper.stopwords) | QUESTION_WORDS


def names(label: str, text: str) -> bool:
    """Whether a question calls this speaker: by surname (with the same given name, when the
    question gives one: "Alastair Campbell" is not "Menzies Campbell"), or by a two-word title
    ("the NATO Secretary General", "Russia's deputy foreign minister")."""
    tokens = words(text)
    raw = WORD.findall(text)
    for part in label.split(" and "):
        name = words(part)
        if not name:
            continue
        given = name[-2] if len(name) > 1 and name[-2] not in LOWER_TITLES else ""
        for i, token in enumerate(tokens):
            # A surname is a capitalised word that is not a common one ("The", "What").
            if token != name[-1] or not raw[i][:1].isupper() or token in COMMON:
                continue
            before = tokens[i - 1] if i else ""
            gives_name = (
                bool(before)
                and raw[i - 1][:1].isupper()
                and before not in LOWER_TITLES
                and before not in QUESTION_WORDS
                and before not in globals_helper.stopwords
            )
            if not gives_name or not given or before == given:
                return True
    question = f" {' '.join(tokens)} "
    for part in label.split(" and "):
        title = words(part)
        pairs = zip(title, title[1:], strict=False)
        if any(a not in COMMON and b not in COMMON and f" {a} {b} " in question for a, b in pairs):
            return True
    return False


def analyse(text: str, index: CorpusIndex) -> Question:
    tokens = words(text)
    keys = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    candidates = set().union(*(index.speakers_by_word.get(k, set()) for k in keys))
    persons = sorted(s for s in candidates if names(s, text))
    asked_about = ASKED_SPEAKER.search(text)
    if not persons and asked_about and words(asked_about.group(1))[-1] in index.people:
        # "What did Putin say ...?" about someone the corpus mentions but never quotes: no
        # one else's words may stand in for his.
        persons = [asked_about.group(1)]
    # The words that call the person ("Secretary General Stoltenberg") are not the topic.
    person_words = set().union(*(name_words(p) for p in persons), LOWER_TITLES) if persons else set()
    raw = WORD.findall(text)
    # Capitalised words after the first are names; a name the corpus never uses means the
    # corpus cannot answer ("What is the capital of Australia?").
    unknown = [w for w in raw[1:] if w[0].isupper() and len(w) > 1 and not index.knows(w)]
    return Question(
        text=text,
        persons=persons,
        # Naming a speaker asks for that speaker's words, unless it asks when, where or how
        # many ("When did Grushko arrive?"), which the reporter may answer.
        asks_speech=bool(persons) and expected_answer(text) not in ("time", "place", "number"),
        topic=topic_stems(text, exclude=person_words),
        unknown_names=unknown,
        expects=expected_answer(text),
    )
