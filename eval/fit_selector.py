"""Fit the answer selector (service/selector.py) on the dev golden sets, in two steps:

    python -m eval.fit_selector gather --set core --corpus corpus --data /tmp/selector-seeds
    python -m eval.fit_selector gather --set core --set bbc --corpus /tmp/citeline-bench/corpus \\
        --data /tmp/citeline-bench/data-full
    python -m eval.fit_selector fit

`gather` (the expensive part, kept as data) asks each dev question through the pipeline up to the
choice of sentences and records every retrieved sentence's signals and whether it lies on a gold
line, appending to eval/selector/candidates.jsonl. `fit` (cheap, repeatable) fits an
L2-regularised logistic regression, chooses the threshold and the extra-sentence threshold on
question-grouped cross-validation, measures calibration on the same held-out folds, and writes
service/selector_weights.json. The frozen test set (eval/golden/test.jsonl) is never read here.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from eval.golden import GoldenRecord, load_set
from eval.judges import Copies
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service import scoring, selector
from service.pipeline import Pipeline
from service.question import Question
from service.schemas import AskRequest

GOLDEN = Path(__file__).resolve().parent / "golden"
DATASET = Path(__file__).resolve().parent / "selector" / "candidates.jsonl"
DEV_SETS = ("core", "bbc", "bbc2", "followups")
FOLDS = 5
L2 = 1.0
MAX_SENTENCES = 3
# Choosing the threshold: questions decided right come first; answers without a wrong citation
# break near-ties (refusing everything would make every answer clean).
OTHERS_WEIGHT = 0.25
SMOOTHING = 1  # grid steps on each side of a threshold that share in its score


class Example(BaseModel):
    signals: selector.Signals
    gold: bool  # on a gold line and, where the record lists key facts, holding one: the answering sentence
    facts: list[int]  # the record's key facts (by index) that this sentence holds
    on_gold_line: bool  # as the eval judges a citation: on a gold line (or holding a key fact)


class Asked(BaseModel):
    """One dev question as the selector met it."""

    set: str
    corpus: str
    id: str
    answerable: bool
    key_facts: int
    question: Question
    candidates: list[Example]


def line_of(s: scoring.Scored) -> str:
    return f"{s.candidate.unit.source}:{s.candidate.unit.line}"


def asked(pipeline: Pipeline, record: GoldenRecord, set_name: str, corpus: str) -> Asked:
    conversation = None
    for earlier in record.history:
        conversation = pipeline.ask(AskRequest(question=earlier, conversation_id=conversation)).conversation_id
    history = pipeline.history(conversation) if conversation else []
    question, candidates, index, _, _ = pipeline.consider(pipeline.check_question(record.question), history)
    gold = {g.key for g in record.gold}
    copies = Copies(pipeline.library, gold)  # as the eval judges: a duplicate article's line is the gold line
    examples = []
    for n, s in enumerate(scoring.score(question, candidates, index)):
        text = s.candidate.unit.text.lower()
        facts = [i for i, fact in enumerate(record.key_facts) if any(alt.lower() in text for alt in fact)]
        on_gold = copies.canonical(line_of(s)) in gold
        answering = on_gold and (bool(facts) or not record.key_facts)
        examples.append(
            Example(signals=scoring.signals(s, question, n), gold=answering, facts=facts, on_gold_line=on_gold)
        )
    return Asked(
        set=set_name,
        corpus=corpus,
        id=record.id,
        answerable=record.answerable,
        key_facts=len(record.key_facts),
        question=question,
        candidates=examples,
    )


def gather(sets: list[str], corpus: Path, data: Path) -> int:
    settings = Settings.read(corpus_dir=corpus, data_dir=data, conversations_db=Path(tempfile.mkdtemp()) / "c.db")
    embedder = MiniLMEmbedding()
    store = UnitStore(settings)
    run_ingest(settings, store, lambda: embedder, progress=True)
    pipeline = Pipeline(settings, store, embedder)
    DATASET.parent.mkdir(parents=True, exist_ok=True)
    label = f"{sum(1 for _ in corpus.rglob('*.txt'))} articles"
    with DATASET.open("a", encoding="utf-8") as out:
        for name in sets:
            for record in load_set(GOLDEN / f"{name}.jsonl"):
                out.write(asked(pipeline, record, name, label).model_dump_json() + "\n")
    print(f"gathered {', '.join(sets)} over {label} into {DATASET}")
    return 0


def fit_weights(x: np.ndarray, y: np.ndarray, l2: float = L2) -> np.ndarray:
    """Logistic regression by Newton's method; the bias (column 0) is not penalised."""
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        gradient = x.T @ (p - y) + penalty * w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def design(questions: list[Asked]) -> tuple[np.ndarray, np.ndarray]:
    rows = [selector.matrix(q.question, [c.signals for c in q.candidates]) for q in questions if q.candidates]
    labels = [float(c.gold) for q in questions for c in q.candidates]
    return np.vstack(rows), np.array(labels)


def held_out(questions: list[Asked]) -> list[np.ndarray]:
    """Each question's candidates' probabilities from a model fitted without that question's fold
    (folds by question id, so one question over two corpora stays in one fold)."""
    ids = sorted({q.id for q in questions})
    fold_of = {qid: n % FOLDS for n, qid in enumerate(np.random.default_rng(7).permutation(ids))}
    out: list[np.ndarray] = [np.zeros(0)] * len(questions)
    for fold in range(FOLDS):
        train = [q for q in questions if fold_of[q.id] != fold]
        w = fit_weights(*design(train))
        for i, q in enumerate(questions):
            if fold_of[q.id] == fold and q.candidates:
                out[i] = 1.0 / (1.0 + np.exp(-(selector.matrix(q.question, [c.signals for c in q.candidates]) @ w)))
    return out


def decide(q: Asked, p: np.ndarray, threshold: float) -> list[int]:
    """The candidates the answerer would quote (as extractive.select does, without the
    near-duplicate check): the likeliest eligible ones that reach the threshold, at most three
    (a second quote must answer too)."""
    eligible = [i for i, c in enumerate(q.candidates) if selector.eligible(q.question, c.signals)]
    return [i for i in sorted(eligible, key=lambda i: -p[i]) if p[i] >= threshold][:MAX_SENTENCES]


def outcome(questions: list[Asked], probabilities: list[np.ndarray], threshold: float) -> dict:
    right, clean = [], []
    for q, p in zip(questions, probabilities, strict=True):
        chosen = decide(q, p, threshold)
        golds = [q.candidates[i].gold for i in chosen]
        facts = {f for i in chosen for f in q.candidates[i].facts}
        # As the eval counts an answer correct: the answering sentence cited, every key fact quoted.
        right.append(any(golds) and len(facts) == q.key_facts if q.answerable else not chosen)
        clean.append(all(q.candidates[i].on_gold_line or q.candidates[i].facts for i in chosen))
    return {"decided_right": float(np.mean(right)), "no_wrong_citation": float(np.mean(clean))}


def calibration(questions: list[Asked], probabilities: list[np.ndarray]) -> dict:
    p = np.concatenate([pr for pr in probabilities if len(pr)])
    y = np.array([float(c.gold) for q in questions for c in q.candidates])
    bins = []
    for low in np.arange(0, 1, 0.1):
        inside = (p >= low) & (p < low + 0.1 if low < 0.9 else p <= 1.0)
        if inside.any():
            bins.append(
                {
                    "from": round(float(low), 1),
                    "n": int(inside.sum()),
                    "mean_p": round(float(p[inside].mean()), 3),
                    "observed": round(float(y[inside].mean()), 3),
                }
            )
    ece = sum(b["n"] * abs(b["mean_p"] - b["observed"]) for b in bins) / len(p)
    return {
        "held_out_candidates": len(p),
        "brier": round(float(np.mean((p - y) ** 2)), 4),
        "expected_calibration_error": round(ece, 4),
        "bins": bins,
    }


def fit() -> int:
    questions = [Asked.model_validate_json(line) for line in DATASET.read_text(encoding="utf-8").splitlines() if line]
    probabilities = held_out(questions)
    thresholds = np.arange(0.05, 0.951, 0.025)
    grid = {t: outcome(questions, probabilities, t) for t in thresholds}
    score = [grid[t]["decided_right"] + OTHERS_WEIGHT * grid[t]["no_wrong_citation"] for t in thresholds]
    # A few hundred held-out questions make the score jagged: a threshold is chosen for how well
    # it and its neighbours do, not for a lucky spike.
    smoothed = [np.mean(score[max(0, i - SMOOTHING) : i + SMOOTHING + 1]) for i in range(len(thresholds))]
    threshold = thresholds[int(np.argmax(smoothed))]
    best = grid[threshold]
    weights = fit_weights(*design(questions))
    model = selector.Model(
        features=list(selector.FEATURES),
        weights=[round(float(w), 4) for w in weights],
        threshold=round(float(threshold), 3),
        fitted_on=sorted({f"{q.set} over {q.corpus}" for q in questions}),
        calibration={**calibration(questions, probabilities), "held_out_decisions": best},
    )
    selector.save(model)
    print(json.dumps(model.model_dump(), indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.fit_selector", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="step", required=True)
    g = sub.add_parser("gather", help="ask the dev questions and record the candidates' signals")
    g.add_argument("--set", action="append", choices=DEV_SETS, required=True)
    g.add_argument("--corpus", type=Path, required=True)
    g.add_argument("--data", type=Path, required=True, help="data folder of the store (ingested incrementally)")
    sub.add_parser("fit", help="fit the weights and thresholds from the gathered candidates")
    args = parser.parse_args(argv)
    return gather(args.set, args.corpus, args.data) if args.step == "gather" else fit()


if __name__ == "__main__":
    sys.exit(main())
