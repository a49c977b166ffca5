"""Whose words a retrieved sentence gives: the asked person's, or a body's.

A person speaks where ingest attributed the sentence to them. A body ("Apple", "Scotland Yard",
"the FA") speaks where ingest attributed it to the body by name or initials, and through the
statements, spokesmen and officials a reporter leaves unnamed ("A spokesman said ...", "The
company said ...", "said an FA statement") in an article that names the body.
"""

from ingest.text import NAME_RUN, STATEMENT, according_to, is_content, stem, words
from ingest.units import Unit
from service.question import Question
from service.retrieve import Candidate


def spoken_by(unit: Unit, persons: list[str]) -> bool:
    return any(p in unit.speakers for p in persons)


def initials(name: list[str]) -> str:
    return "".join(w[0] for w in name)


def names_body(label: str, voice: list[str]) -> bool:
    """Whether a speaker label is the asked body: its words in any inflection ("Conservative" for
    "the Conservatives"), or its initials ("FA")."""
    label_words = [w for w in words(label) if is_content(w)]
    stems = {stem(w) for w in voice}
    return bool(label_words) and ({stem(w) for w in label_words} <= stems or [initials(label_words)] == voice)


def mentions(unit: Unit, voice: list[str]) -> bool:
    """Whether the sentence or its headline names the body ("a Conservative spokesperson" for
    "the Conservatives"), or spells out its initials."""
    if stem(voice[-1]) in {stem(w) for w in words(f"{unit.title} {unit.text}")}:
        return True
    names = (words(run) for run in NAME_RUN.findall(unit.text))
    return len(voice) == 1 and any(len(name) > 1 and initials(name) == voice[0] for name in names)


def heard_from(question: Question, candidates: list[Candidate]) -> set[str]:
    """The retrieved articles that name the body the question asks to hear from."""
    if not question.voice:
        return set()
    return {c.unit.source for c in candidates if mentions(c.unit, question.voice)}


def own_words(unit: Unit, question: Question, naming_sources: set[str]) -> bool:
    """Whether the sentence gives the words of whom the question asks about."""
    if spoken_by(unit, question.persons):
        return True
    if not question.voice:
        return False
    if unit.speakers:
        return any(names_body(speaker, question.voice) for speaker in unit.speakers)
    return unit.source in naming_sources and bool(STATEMENT.search(unit.text) or according_to(unit.text))
