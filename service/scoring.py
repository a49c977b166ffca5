"""Scoring what was retrieved against the question: closeness in meaning and in topic words
(for the sentence and for its article), whose words it gives, and the signals the selector
(service/selector.py) weighs to judge whether it answers."""

import math
import re
from functools import lru_cache

from pydantic import BaseModel

from ingest.corpus_index import CorpusIndex
from ingest.text import WORD, content_stems, covered, stem
from ingest.text import YEAR as YEAR_PATTERN
from service import answer_type, voice
from service.question import Question
from service.retrieve import Candidate
from service.selector import Signals

# Weights of the two relevance signals in the retrieval-side score (which orders the sources
# the LLM answerer is given; the selector decides what answers).
SIMILARITY_WEIGHT = 0.45
COVERAGE_WEIGHT = 0.55
SPEAKER_BONUS = 0.1
# A "when" question is better answered by a sentence holding a date, and so on.
EVIDENCE_BONUS = 0.1


class Scored(BaseModel):
    candidate: Candidate
    coverage: float
    article_coverage: float = 0.0  # the same, over the sentence's article as retrieved
    score: float
    own_words: bool  # spoken by the person the question asks about
    has_expected: bool = False  # holds a value of the kind the question asks for (answer_type.py)
    rank: int = 0  # in the retriever's fused order
    answers: float = 0.0  # the selector's probability that it answers the question
    eligible: bool = True  # may answer at all (service/selector.py eligible)


def present_stems(candidate: Candidate) -> frozenset[str]:
    unit = candidate.unit
    # A section heading ("Ukraine") is part of what a sentence is about; a speaker heading is not.
    heading = unit.heading if unit.heading != unit.speaker else ""
    return stems_of(f"{heading} {unit.text}")


# Scoring asks for a sentence's stems several times, and popular sentences come back often.
@lru_cache(maxsize=16384)
def stems_of(text: str) -> frozenset[str]:
    return frozenset(content_stems(text))


def topic_weights(question: Question, candidates: list[Candidate], index: CorpusIndex) -> dict[str, float]:
    """How much each topic word counts: its idf in the corpus, times how well it tells the
    retrieved sentences apart. In a corpus of thousands, "Russia" and "NATO" are rare words, yet
    among sentences retrieved for a question about them every one has them; "deterrence" is
    what picks the answer."""
    present = [present_stems(c) for c in candidates]
    n = max(len(present), 1)
    weights = {}
    for t in question.topic:
        df = sum(covered(t, p) for p in present)
        weights[t] = index.idf(t) * (0.5 + 0.5 * math.log(1 + n / (1 + df)) / math.log(1 + n))
    return weights


def coverage(weights: dict[str, float], present: frozenset[str]) -> float:
    """The weighted share of the question's topic words among these stems."""
    total = sum(weights.values())
    if not total:
        return 0.0
    return sum(w for t, w in weights.items() if covered(t, present)) / total


def article_stems(candidates: list[Candidate]) -> dict[str, frozenset[str]]:
    """What each retrieved article is about, as far as retrieval saw it: its headline and its
    retrieved sentences. "The service will be priced at £4.50" answers a question about the
    British Library's wifi because its article is about that."""
    found: dict[str, set[str]] = {}
    for c in candidates:
        found.setdefault(c.unit.source, set(stems_of(c.unit.title))).update(present_stems(c))
    return {source: frozenset(stems) for source, stems in found.items()}


def relevance(similarity: float, coverage: float) -> float:
    return SIMILARITY_WEIGHT * similarity + COVERAGE_WEIGHT * coverage


def score(question: Question, candidates: list[Candidate], index: CorpusIndex) -> list[Scored]:
    scored = []
    weights = topic_weights(question, candidates, index)
    naming = voice.heard_from(question, candidates)
    articles = article_stems(candidates)
    for rank, c in enumerate(candidates):
        cov = coverage(weights, present_stems(c))
        own = voice.own_words(c.unit, question, naming)
        value = relevance(c.similarity, cov)
        if own:
            value += SPEAKER_BONUS
        typed = answer_type.holds(question.expects, c.unit.text, question.text)
        if typed:
            value += EVIDENCE_BONUS
        scored.append(
            Scored(
                candidate=c,
                coverage=cov,
                article_coverage=coverage(weights, articles[c.unit.source]),
                score=value,
                own_words=own,
                has_expected=typed,
                rank=rank,
            )
        )
    return sorted(scored, key=lambda s: s.score, reverse=True)


YEAR = re.compile(YEAR_PATTERN)


@lru_cache(maxsize=16384)
def years_in(text: str) -> frozenset[str]:
    return frozenset(YEAR.findall(text))


def contradicts_the_year(s: Scored, question: Question) -> bool:
    """A sentence about other years does not answer a question about one ("the 2018 World
    Cup" is not the one "in 1991 and 1999"); a sentence that names no year may."""
    asked = years_in(question.text)
    stated = years_in(s.candidate.unit.text)
    return bool(asked and stated and not asked & stated)


def misses_the_names(s: Scored, question: Question) -> bool:
    """A question that names something ("the president of Mars") is not answered by a sentence
    that names none of it, or has the word only in lower case ("injury mars victory"). The
    article's title, heading and the sentence's speaker count: they say what it is about."""
    if not question.names:
        return False
    unit = s.candidate.unit
    capitalised = capitalised_stems(f"{unit.title} {unit.heading} {unit.speaker} {unit.text}")
    return not any(covered(name, capitalised) for name in question.names)


# Popular sentences come back for question after question, as for stems_of.
@lru_cache(maxsize=16384)
def capitalised_stems(text: str) -> frozenset[str]:
    return frozenset(stem(w.lower()) for w in WORD.findall(text) if w[:1].isupper())


# Asked once per retrieved sentence, of the same question.
@lru_cache(maxsize=1024)
def beyond_names(topic: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, ...]:
    """The question's topic words that are not its names."""
    return tuple(t for t in topic if not any(covered(t, {n}) for n in names))


def only_names(s: Scored, question: Question) -> bool:
    """A sentence that shares only the names with "What is the capital of Australia?" (and not
    "capital") is about Australia, not an answer. A person's own words are exempt: who said
    them is the link."""
    rest = beyond_names(tuple(question.topic), tuple(question.names))
    if s.own_words or not question.names or not rest:
        return False
    return not any(covered(t, present_stems(s.candidate)) for t in rest)


def signals(s: Scored, question: Question, relevance_rank: int) -> Signals:
    unit = s.candidate.unit
    return Signals(
        similarity=s.candidate.similarity,
        coverage=s.coverage,
        article_coverage=s.article_coverage,
        rank=s.rank,
        relevance_rank=relevance_rank,
        own_words=s.own_words,
        has_expected=s.has_expected,
        wrong_year=contradicts_the_year(s, question),
        misses_names=misses_the_names(s, question),
        only_names=only_names(s, question),
        headline=unit.kind == "title",
        in_story=unit.source in question.story,
        quoted_before=f"{unit.source}:{unit.char_start}" in question.quoted_before,
        text=unit.text,
    )
