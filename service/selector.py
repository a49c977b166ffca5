"""Does this retrieved sentence answer this question? A logistic regression over general signals,
fitted on the dev golden sets by eval/fit_selector.py, whose weights are committed beside it
(service/selector_weights.json) with the threshold chosen on the same dev sets.

The signals say what a careful reader checks, none of them about one question:
- closeness: embedding similarity, idf-weighted coverage of the question's topic words, both
  together, and how far each falls behind the best retrieved sentence; the hybrid retriever's
  rank and the answerer's relevance rank;
- attribution: the asked person's own words, or someone else's when the question asks for theirs;
- the expected answer type (a date, a number, a place, a person) against what the sentence holds;
- an expectation, plan or claim offered for a question about what happened ("is expected to
  fetch" does not say what something sold for);
- the question's names and year against the sentence's;
- the headline, a heading or a line that introduces what follows, which name a topic rather
  than say something about it; a sentence sharing none of the question's topic words.
"""

import json
import math
import re
from functools import cache, lru_cache
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from ingest.text import HEDGE, holds_quotation
from service import answer_type
from service.question import Question

WEIGHTS = Path(__file__).resolve().parent / "selector_weights.json"

FEATURES = (
    "bias",
    "similarity",
    "coverage",
    "similarity_gap",
    "coverage_gap",
    "best_similarity",
    "best_coverage",
    "retrieval_rank",
    "relevance_rank",
    "similarity_x_coverage",
    "own_words",
    "own_words_off_topic",
    "quoted_words",
    "other_voice",
    "type_match",
    "type_missing",
    "name_missing",
    "closest_of_kind",
    "value_in_topic_article",
    "in_story",
    "outside_story",
    "quoted_before",
    "hedged_for_outcome",
    "wrong_year",
    "misses_names",
    "only_names",
    "headline",
    "unfinished",
    "no_topic",
    "topic_absent",
)

# A question about what happened: asked in the past tense ("did", "was", "sold", "won"), and not
# itself about an expectation ("What is it expected to fetch?").
OUTCOME = re.compile(r"\b(?:did|was|were|had|has|have)\b|\b\w{3,}ed\b", re.IGNORECASE)


class Signals(BaseModel):
    """What the extractive answerer already knows about a candidate, for the selector."""

    similarity: float
    coverage: float
    article_coverage: float = 0.0  # coverage by the sentence's article (headline and retrieved sentences)
    rank: int  # 0-based, in the hybrid retriever's fused order
    relevance_rank: int  # 0-based, by the answerer's relevance score (closeness, speaker, type bonuses)
    own_words: bool
    has_expected: bool  # holds a value of the type the question expects
    wrong_year: bool
    misses_names: bool
    only_names: bool
    headline: bool
    in_story: bool = False  # from an article the last answer quoted, for a follow-up leaning on it
    quoted_before: bool = False  # quoted by that answer itself
    text: str


class Model(BaseModel):
    features: list[str]
    weights: list[float]
    threshold: float  # a sentence answers when its probability reaches this
    fitted_on: list[str] = []
    calibration: dict = {}


@cache
def model() -> Model:
    fitted = Model.model_validate_json(WEIGHTS.read_text(encoding="utf-8"))
    if tuple(fitted.features) != FEATURES:
        raise RuntimeError(f"{WEIGHTS} was fitted on other features: run eval/fit_selector.py again")
    return fitted


def asks_outcome(question: Question) -> bool:
    """A question about what happened: asked in the past tense, not itself about an expectation,
    nor about what someone (a person or a body) said, whose words may well be expectations."""
    return _past_not_hedged(question.text) and not (question.asks_speech or question.voice)


# Asked for every retrieved sentence, of the same question.
@lru_cache(maxsize=1024)
def _past_not_hedged(text: str) -> bool:
    return bool(OUTCOME.search(text)) and not HEDGE.search(text)


# A sentence at least half as likely as an answer is close enough to show beside one: as a
# source for the LLM answerer, or as what a refusal says the corpus does report.
CONTEXT_SHARE = 0.5


def context_floor() -> float:
    return model().threshold * CONTEXT_SHARE


def eligible(question: Question, signals: Signals) -> bool:
    """What no likelihood overrides: a question for someone's words is answered only by theirs,
    one that names something only by a sentence naming it, one about a year not by a sentence
    about other years, one about what happened not by what was only expected to ("is expected to
    fetch £2m" is not what it sold for), one for an amount, a count, a share, a date or a time by a
    sentence that writes out no value of that kind, one asking "which ..." by a sentence naming
    nothing the question does not."""
    return not (
        (question.asks_speech and not signals.own_words)
        or signals.misses_names
        or signals.wrong_year
        or (asks_outcome(question) and bool(HEDGE.search(signals.text)))
        or (question.expects in answer_type.VALUES | {"name"} and not signals.has_expected)
    )


def features(
    question: Question, signals: Signals, best_similarity: float, best_coverage: float, closest_typed: float = -1.0
) -> np.ndarray:
    outcome = asks_outcome(question)
    values = {
        "bias": 1.0,
        "similarity": signals.similarity,
        "coverage": signals.coverage,
        "similarity_gap": best_similarity - signals.similarity,
        "coverage_gap": best_coverage - signals.coverage,
        # How well anything retrieved fits: an unanswerable question's best is weak too.
        "best_similarity": best_similarity,
        "best_coverage": best_coverage,
        "retrieval_rank": 1.0 / (1.0 + signals.rank),
        "relevance_rank": 1.0 / (1.0 + signals.relevance_rank),
        # Both close in meaning and sharing the topic words: either alone is weak evidence.
        "similarity_x_coverage": signals.similarity * signals.coverage,
        "own_words": float(signals.own_words),
        # The asked person's words on something else: who said it is not what it is about.
        "own_words_off_topic": float(signals.own_words and bool(question.topic) and signals.coverage == 0),
        # Asked what someone said, their words themselves, in quotation marks, answer best; the
        # reporter's sentence introducing them ("X said the plan was debated") less so.
        "quoted_words": float(question.asks_speech and signals.own_words and holds_quotation(signals.text)),
        "other_voice": float(question.asks_speech and not signals.own_words),
        "type_match": float(bool(question.expects) and signals.has_expected),
        # A date or a number is written out in the sentence that gives it; a place or a person may
        # be named elsewhere in the article.
        "type_missing": float(question.expects in answer_type.VALUES and not signals.has_expected),
        # "Who ...?", "Which ...?", "Where ...?" are answered by a name the question does not give.
        "name_missing": float(question.expects in answer_type.NAMED and not signals.has_expected),
        # Of the retrieved sentences holding a value of the asked kind, the closest in meaning: a
        # price that shares no word with "How much will an adult pay?" still answers it.
        "closest_of_kind": float(signals.has_expected and signals.similarity >= closest_typed),
        # A value of the asked kind in an article about the question's topic, though the sentence
        # itself does not repeat the subject ("The service will be priced at £4.50").
        "value_in_topic_article": float(question.expects in answer_type.VALUES and signals.has_expected)
        * signals.article_coverage,
        # "Who directed it?" asks about the story of the last answer, not another one.
        "in_story": float(signals.in_story),
        "outside_story": float(bool(question.story) and not signals.in_story),
        # A follow-up asks for something the last answer did not say.
        "quoted_before": float(signals.quoted_before),
        "hedged_for_outcome": float(outcome and bool(HEDGE.search(signals.text))),
        "wrong_year": float(signals.wrong_year),
        "misses_names": float(signals.misses_names),
        "only_names": float(signals.only_names),
        "headline": float(signals.headline),
        # A line that introduces what follows ("Here's what we know:") or a heading, not a statement.
        "unfinished": float(not signals.text.rstrip("”’\"')").endswith((".", "!", "?"))),
        "no_topic": float(not question.topic),
        "topic_absent": float(bool(question.topic) and signals.coverage == 0),
    }
    return np.array([values[name] for name in FEATURES], dtype=np.float64)


def matrix(question: Question, candidates: list[Signals]) -> np.ndarray:
    if not candidates:
        return np.zeros((0, len(FEATURES)))
    best_similarity = max(c.similarity for c in candidates)
    best_coverage = max(c.coverage for c in candidates)
    closest_typed = max((c.similarity for c in candidates if c.has_expected), default=-1.0)
    return np.stack([features(question, c, best_similarity, best_coverage, closest_typed) for c in candidates])


def probabilities(question: Question, candidates: list[Signals]) -> list[float]:
    """For each candidate, the fitted probability that it answers the question."""
    if not candidates:
        return []
    logits = matrix(question, candidates) @ np.asarray(model().weights)
    return [1.0 / (1.0 + math.exp(-z)) for z in logits]


def save(fitted: Model, path: Path = WEIGHTS) -> None:
    path.write_text(json.dumps(fitted.model_dump(), indent=2) + "\n", encoding="utf-8")
