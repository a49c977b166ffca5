"""Reading a question: who it asks about, whether it asks what they said, and its topic."""

import re

from pydantic import BaseModel

from ingest.corpus_index import CorpusIndex
from ingest.text import (
    ASKING_VERBS,
    NAME_RUN,
    QUESTION_WORDS,
    STANCE_NOUNS,
    STOPWORDS,
    TITLES,
    WORD,
    according_to,
    is_content,
    stem,
    topic_stems,
    words,
)
from service import answer_type, article_aspect
from service.question_parts import split_parts

# Where a question names whose words it asks for: "did <subject> say", "<subject>'s view" (and
# "according to <subject>", read as in articles). Anyone else it names is part of the topic.
SPEECH_ASKS = (
    re.compile(
        rf"\b(?:did|does|do|has|have|had|is|was|were|are|will|would)\s+(?P<subject>[^?]{{1,120}}?)\s+"
        rf"(?:(?:himself|herself|themselves|also|really|ever|actually|once)\s+)?(?:{ASKING_VERBS})(?:s|d|ed)?\b"
    ),
    re.compile(rf"(?P<subject>(?:[\w’'.-]+\s+){{0,6}}[\w’'.-]+?)[’']s?\s+(?:\w+\s+)?(?:{STANCE_NOUNS})\b"),
)


class Question(BaseModel):
    text: str
    persons: list[str]  # speaker labels from the corpus that the question names
    asks_speech: bool  # "what did X say", "X's position on": only X's own words answer it
    topic: list[str]  # content stems without question words or the persons' names
    unknown_names: list[str]  # capitalised words of the question the corpus never uses
    names: list[str]  # stems of what the question names: its capitalised words
    expects: str  # what kind of answer is asked for (service/answer_type.py), "" when it does not say
    # A body whose words are asked for ("What did Scotland Yard say?"), its name's words: it
    # speaks through statements, spokesmen and officials the reporter does not name.
    voice: list[str] = []
    # For a follow-up that leans on the conversation ("Who directed it?"): the articles the last
    # answer quoted, which it is about.
    story: list[str] = []
    # The sentences that answer quoted ("source:offset"): a follow-up rarely asks for them again.
    quoted_before: list[str] = []
    # A question asking two things ("Who chaired it, and where was it held?"), read part by part:
    # each part has its own topic and answer type.
    parts: list["Question"] = []
    # Asked about the article itself (service/article_aspect.py): "headline", "opening", "date",
    # "author", "quoted"; "" for a question about events.
    about_article: str = ""
    # "What is the latest on ...": answered from the newest article that answers (service/scope.py).
    latest: bool = False


def surname(name: str) -> str:
    """The word by which a speaker is called: the last word of the name."""
    return words(name)[-1] if words(name) else ""


LOWER_TITLES = {t.lower() for t in TITLES}
COMMON = STOPWORDS | QUESTION_WORDS


def names(label: str, text: str) -> bool:
    """Whether a question calls this speaker: by surname (with the same given name, when the
    question gives one: "Alastair Campbell" is not "Menzies Campbell"), or by a two-word title
    ("the NATO Secretary General", "Russia's deputy foreign minister")."""
    tokens = words(text)
    raw = WORD.findall(text)
    name = words(label)
    if name:
        given = name[-2] if len(name) > 1 and name[-2] not in LOWER_TITLES else ""
        for i, token in enumerate(tokens):
            # A surname is a capitalised word that is not a common one ("The", "What").
            if token != name[-1] or not raw[i][:1].isupper() or token in COMMON:
                continue
            # "Brian Welch" does not call "Guitarist Brian": there, Brian is a given name.
            if i + 1 < len(raw) and raw[i + 1][:1].isupper() and tokens[i + 1] not in COMMON:
                continue
            before = tokens[i - 1] if i else ""
            gives_name = (
                bool(before)
                and raw[i - 1][:1].isupper()
                and before not in LOWER_TITLES
                and before not in QUESTION_WORDS
                and before not in STOPWORDS
            )
            if not gives_name or not given or before == given:
                return True
    question = f" {' '.join(tokens)} "
    pairs = zip(name, name[1:], strict=False)
    return any(a not in COMMON and b not in COMMON and f" {a} {b} " in question for a, b in pairs)


def speech_subjects(text: str) -> list[str]:
    """The parts of a question that name whose words it asks for."""
    return [m.group("subject") for pattern in SPEECH_ASKS for m in pattern.finditer(text)] + according_to(text)


def named_in_full(label: str, text: str) -> bool:
    """Whether the question writes every word of this speaker's name ("Scotland Yard"), not only
    one that another name shares ("City" of "Man City")."""
    asked = set(words(text))
    return bool(words(label)) and all(w in asked for w in words(label) if w not in LOWER_TITLES)


def asked_persons(text: str, index: CorpusIndex, sources: set[str] | None) -> tuple[list[str], bool]:
    """The speakers a question asks about, and whether it asks for their own words. A speaker
    called by one word of their name counts only where the retrieved articles (`sources`) hear
    from them: a reader resolves "Fox" by the story at hand."""
    tokens = words(text)
    keys = tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    candidates = index.speakers_called(keys)
    if sources is not None:
        heard = index.speakers_in(sources)
        candidates = {c for c in candidates if c in heard or named_in_full(c, text)}
    subjects = speech_subjects(text)
    asked = sorted(s for s in candidates if any(names(s, subject) for subject in subjects))
    if asked:
        return asked, True
    for subject in subjects:
        # "What did Putin say ...?" about someone the corpus mentions but never quotes: no one
        # else's words may stand in for his.
        for run in NAME_RUN.findall(subject):
            name = [w for w in run.split() if w not in TITLES]
            if name and name[-1] not in COMMON and words(name[-1]) and index.is_titled(words(name[-1])[-1]):
                return [" ".join(name)], True
    # Named, but not asked what they said ("Where was Ian Brown playing?"): a hint only.
    return sorted(s for s in candidates if names(s, text)), False


def asked_voice(text: str, index: CorpusIndex) -> list[str]:
    """The name of a body whose words the question asks for: the last name in the subject of
    "did ... say" or "...'s position" that the corpus never gives a person's title ("Apple",
    "Scotland Yard", "the City of Seattle"; not "Mr Howard")."""
    for subject in speech_subjects(text):
        runs = [
            [w for w in words(run) if w not in LOWER_TITLES and w not in COMMON] for run in NAME_RUN.findall(subject)
        ]
        runs = [run for run in runs if run]
        if runs and not index.is_titled(runs[-1][-1]):
            return runs[-1]
    return []


def analyse(text: str, index: CorpusIndex, sources: set[str] | None = None) -> Question:
    """The question read against the corpus and, once retrieved, the articles found for it."""
    question = read_one(text, index, sources)
    pieces = split_parts(text)
    if len(pieces) < 2:
        return question
    return question.model_copy(update={"parts": [read_one(piece, index, sources) for piece in pieces]})


def read_one(text: str, index: CorpusIndex, sources: set[str] | None) -> Question:
    persons, asks_for_words = asked_persons(text, index, sources)
    # A body's unnamed spokesmen speak for it only when no speaker answers to the name: where
    # one does ("Brian Welch", even "Scotland Yard"), an unnamed voice may be anyone's.
    voice = [] if asks_for_words else asked_voice(text, index)
    if voice:
        persons = []  # people merely named beside the body asked about ("... in Stan Lee's favour")
    expects = answer_type.expected(text)
    # The words that call the person ("Secretary General Jens Stoltenberg") are not the topic.
    called = [set(words(p)[-2:]) for p in persons]
    person_words = set().union(*called, LOWER_TITLES) if persons else set()
    raw = WORD.findall(text)
    # Capitalised words after the first are names; a name the corpus never uses means the
    # corpus cannot answer ("What is the capital of Australia?").
    unknown = [w for w in raw[1:] if w[0].isupper() and len(w) > 1 and not index.knows_name(w)]
    return Question(
        text=text,
        persons=persons,
        # Asking whose words, unless it asks when, where or how many ("When did Grushko
        # arrive?"), which the reporter may answer.
        asks_speech=asks_for_words and expects not in answer_type.VALUES | {"place"},
        topic=topic_stems(text, exclude=person_words),
        unknown_names=unknown,
        names=[
            stem(w.lower())
            for w in raw[1:]
            if w[:1].isupper() and is_content(w.lower()) and w.lower() not in LOWER_TITLES | QUESTION_WORDS
        ],
        expects=expects,
        voice=voice,
        about_article=article_aspect.aspect(text),
    )
