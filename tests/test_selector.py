"""The answer selector's signals, one row per rule, and its fitted model: no embedder, no Chroma."""

import pytest

from service import selector
from service.question import Question
from service.selector import FEATURES, Signals, features


def question(text: str, **change: object) -> Question:
    base = {
        "text": text,
        "persons": [],
        "asks_speech": False,
        "topic": ["paint", "sell"],
        "unknown_names": [],
        "names": [],
        "expects": "",
    }
    return Question.model_validate(base | change)


def signals(text: str, **change: object) -> Signals:
    base = {
        "similarity": 0.6,
        "coverage": 0.5,
        "rank": 0,
        "relevance_rank": 0,
        "own_words": False,
        "has_expected": False,
        "wrong_year": False,
        "misses_names": False,
        "only_names": False,
        "headline": False,
        "text": text,
    }
    return Signals.model_validate(base | change)


def value(q: Question, s: Signals, name: str) -> float:
    return float(features(q, s, best_similarity=0.8, best_coverage=1.0)[FEATURES.index(name)])


@pytest.mark.parametrize(
    ("asked", "sentence", "name", "expected"),
    [
        # An expectation does not answer a question about what happened ...
        ("What did the painting sell for?", "The painting is expected to fetch £2m.", "hedged_for_outcome", 1.0),
        # ... a report of the outcome does, and a question about plans may be answered by one.
        ("What did the painting sell for?", "The painting sold for £2m.", "hedged_for_outcome", 0.0),
        (
            "What is the painting expected to fetch?",
            "The painting is expected to fetch £2m.",
            "hedged_for_outcome",
            0.0,
        ),
        ("Where was the painting sold?", "It sold at auction.", "unfinished", 0.0),
        ("Where was the painting sold?", "Here is what we know about the sale:", "unfinished", 1.0),
        ("Where was the painting sold?", "Auction results", "unfinished", 1.0),
        ("Where was the painting sold?", "“It went for a song,” he said.", "unfinished", 0.0),
    ],
)
def test_signals_of_a_sentence(asked: str, sentence: str, name: str, expected: float) -> None:
    assert value(question(asked), signals(sentence), name) == expected


@pytest.mark.parametrize(
    ("change", "given", "name", "expected"),
    [
        ({"asks_speech": True}, {"own_words": False}, "other_voice", 1.0),
        ({"asks_speech": True}, {"own_words": True}, "other_voice", 0.0),
        ({"expects": "number"}, {"has_expected": True}, "type_match", 1.0),
        ({"expects": "number"}, {"has_expected": False}, "type_missing", 1.0),
        ({"expects": ""}, {"has_expected": False}, "type_missing", 0.0),
        ({}, {"coverage": 0.0}, "topic_absent", 1.0),
        ({"topic": []}, {"coverage": 0.0}, "topic_absent", 0.0),
        ({}, {"similarity": 0.5}, "similarity_gap", pytest.approx(0.3)),
        ({}, {"rank": 3}, "retrieval_rank", 0.25),
        ({"story": ["a.txt"]}, {"in_story": True, "quoted_before": True}, "quoted_before", 1.0),
        ({"story": ["a.txt"]}, {"in_story": True}, "quoted_before", 0.0),
    ],
)
def test_signals_of_a_question_and_a_sentence(change: dict, given: dict, name: str, expected: float) -> None:
    assert value(question("What did it sell for?", **change), signals("It sold.", **given), name) == expected


def test_the_committed_model_fits_the_features_and_is_calibrated_on_held_out_questions() -> None:
    fitted = selector.model()
    assert fitted.features == list(FEATURES) and len(fitted.weights) == len(FEATURES)
    assert 0 < fitted.threshold < 1
    assert fitted.calibration["held_out_candidates"] > 1000 and fitted.calibration["expected_calibration_error"] < 0.1
    close = signals("The painting sold for £2m at Christie's.", similarity=0.8, coverage=1.0, has_expected=True)
    far = signals("Shares fell.", similarity=0.1, coverage=0.0, rank=15, relevance_rank=15)
    likely, unlikely = selector.probabilities(
        question("What did the painting sell for?", expects="number"), [close, far]
    )
    assert likely > fitted.threshold > unlikely
