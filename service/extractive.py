"""The default answerer: chooses the source sentences that answer and quotes them verbatim.

It needs no LLM, so everything it states is a quote with its attribution. Choosing is the
hard part: the selector (service/selector.py, fitted on the dev sets) judges from general
signals whether each retrieved sentence answers, and when the question asks what someone said,
only that person's own statements qualify; anything else is an attribution error, however
similar it reads.
"""

import math
import re
from functools import lru_cache

from pydantic import BaseModel

from service import answer_type, selector, statements, voice, wording
from service.corpus_index import CorpusIndex
from service.lexicon import WORD, content_stems, covered, stem, words
from service.prompts import cannot_answer
from service.question import Question
from service.retrieve import Candidate
from service.schemas import Citation
from service.selector import Signals

# Weights of the two relevance signals in the retrieval-side score (which orders the sources
# the LLM answerer is given; the selector decides what answers).
SIMILARITY_WEIGHT = 0.45
COVERAGE_WEIGHT = 0.55
# Units of one paragraph share their embedded context, so vectors cannot tell duplicates
# apart; shared words can.
DUPLICATE_OVERLAP = 0.6
SPEAKER_BONUS = 0.1
# A "when" question is better answered by a sentence holding a date, and so on.
EVIDENCE_BONUS = 0.1


class Scored(BaseModel):
    candidate: Candidate
    coverage: float
    article_coverage: float = 0.0  # the same, over the sentence's article as retrieved
    score: float
    own_words: bool  # spoken by the person the question asks about
    rank: int = 0  # in the retriever's fused order
    answers: float = 0.0  # the selector's probability that it answers the question
    eligible: bool = True  # may answer at all (service/selector.py eligible)


class Draft(BaseModel):
    answer: str
    answered: bool
    citations: list[Citation]
    ranked: list[Scored]


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
        if answer_type.holds(question.expects, c.unit.text):
            value += EVIDENCE_BONUS
        scored.append(
            Scored(
                candidate=c,
                coverage=cov,
                article_coverage=coverage(weights, articles[c.unit.source]),
                score=value,
                own_words=own,
                rank=rank,
            )
        )
    return sorted(scored, key=lambda s: s.score, reverse=True)


YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


def contradicts_the_year(s: Scored, question: Question) -> bool:
    """A sentence about other years does not answer a question about one ("the 2018 World
    Cup" is not the one "in 1991 and 1999"); a sentence that names no year may."""
    asked = set(YEAR.findall(question.text))
    stated = set(YEAR.findall(s.candidate.unit.text))
    return bool(asked and stated and not asked & stated)


def misses_the_names(s: Scored, question: Question) -> bool:
    """A question that names something ("the president of Mars") is not answered by a sentence
    that names none of it, or has the word only in lower case ("injury mars victory"). The
    article's title, heading and the sentence's speaker count: they say what it is about."""
    if not question.names:
        return False
    unit = s.candidate.unit
    context = f"{unit.title} {unit.heading} {unit.speaker} {unit.text}"
    capitalised = {stem(w.lower()) for w in WORD.findall(context) if w[:1].isupper()}
    return not any(covered(name, capitalised) for name in question.names)


def only_names(s: Scored, question: Question) -> bool:
    """A sentence that shares only the names with "What is the capital of Australia?" (and not
    "capital") is about Australia, not an answer. A person's own words are exempt: who said
    them is the link."""
    rest = [t for t in question.topic if not any(covered(t, {n}) for n in question.names)]
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
        has_expected=answer_type.holds(question.expects, unit.text),
        wrong_year=contradicts_the_year(s, question),
        misses_names=misses_the_names(s, question),
        only_names=only_names(s, question),
        headline=unit.kind == "title",
        in_story=unit.source in question.story,
        text=unit.text,
    )


def judged(question: Question, candidates: list[Candidate], index: CorpusIndex) -> list[Scored]:
    """The candidates scored, each with the selector's probability that it answers the question,
    the likeliest first."""
    ranked = score(question, candidates, index)
    found = [signals(s, question, n) for n, s in enumerate(ranked)]
    likelihoods = selector.probabilities(question, found)
    judged_ = [
        s.model_copy(update={"answers": p, "eligible": selector.eligible(question, f)})
        for s, f, p in zip(ranked, found, likelihoods, strict=True)
    ]
    return sorted(judged_, key=lambda s: s.answers, reverse=True)


def answers(s: Scored) -> bool:
    """Whether this sentence alone is enough to call the question answered."""
    return s.eligible and s.answers >= selector.model().threshold


def relevant(s: Scored) -> bool:
    """Whether this sentence may be quoted beside one that answers: likely enough to add to it."""
    return s.eligible and s.answers >= selector.model().extra_threshold


def overlap(a: Scored, b: Scored) -> float:
    wa, wb = stems_of(a.candidate.unit.text), stems_of(b.candidate.unit.text)
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def select(ranked: list[Scored], limit: int) -> list[Scored]:
    chosen: list[Scored] = []
    for s in ranked:
        if len(chosen) == limit:
            break
        if not s.eligible:
            continue
        if not chosen and not answers(s):
            break  # the likeliest sentence does not answer: nothing does
        if chosen and not relevant(s):
            break
        if any(overlap(s, c) > DUPLICATE_OVERLAP for c in chosen):
            continue
        chosen.append(s)
    return chosen


def with_whole_statements(chosen: list[Scored], index: CorpusIndex) -> list[Scored]:
    """Each chosen statement of the asked person quoted whole, its other sentences ranked with it."""
    kept: dict[str, Scored] = {}
    for s in chosen:
        units = statements.whole(s.candidate.unit, index) if s.own_words else [s.candidate.unit]
        for unit in units:
            candidate = Candidate(unit=unit, similarity=s.candidate.similarity)
            kept.setdefault(unit.id, s.model_copy(update={"candidate": candidate}))
    return list(kept.values())


def named_as(question: Question) -> str:
    """Each person asked about once, by the label closest to the question's own words
    ("Michael Howard", not also "Leader Michael Howard" and "Mr Howard")."""
    asked = set(words(question.text))
    best: dict[str, tuple[int, str]] = {}
    for label in question.persons:
        label_words = set(words(label))
        fit = len(label_words & asked) - len(label_words - asked)
        surname = words(label)[-1] if words(label) else label
        if surname not in best or fit > best[surname][0]:
            best[surname] = (fit, label)
    if not best and question.voice:  # a body: as the question writes it ("Scotland Yard")
        return " ".join(dict.fromkeys(w for w in WORD.findall(question.text) if words(w)[0] in question.voice))
    return " or ".join(label for _, label in best.values())


def refusal(question: Question, ranked: list[Scored]) -> Draft:
    reason = ""
    if question.unknown_names:
        reason = f" It does not mention {', '.join(dict.fromkeys(question.unknown_names))}."
    elif question.asks_speech:
        reason = f" It records no statement by {named_as(question)} on this."
    return Draft(answer=cannot_answer() + reason, answered=False, citations=[], ranked=ranked)


def compose(chosen: list[Scored]) -> tuple[str, list[Citation]]:
    """Best sentence first, each quoted with its attribution and its marker."""
    sentences, citations, seen_speakers = [], [], set()
    for marker, s in enumerate(chosen, start=1):
        unit = s.candidate.unit
        sentences.append(wording.sentence_for(unit.text, unit.speaker, marker, unit.speaker not in seen_speakers))
        seen_speakers.add(unit.speaker)
        citations.append(Citation.of(marker, unit))
    return " ".join(sentences), citations


def answer(question: Question, candidates: list[Candidate], index: CorpusIndex, limit: int) -> Draft:
    ranked = judged(question, candidates, index)
    if question.unknown_names:
        return refusal(question, ranked)
    chosen = select(ranked, limit)
    if not chosen:
        return refusal(question, ranked)
    if question.asks_speech:
        chosen = with_whole_statements(chosen, index)
    text, citations = compose(chosen)
    return Draft(answer=text, answered=True, citations=citations, ranked=ranked)
