"""Metric arithmetic: pure functions of stored judgments (results.json), no model calls.

Definitions (also in eval/README.md). Judged against the gold first:
- gold_citation_recall: over answerable questions, the share whose answer cites a gold line.
- gold_citation_precision: share of the answers' citations that point at a gold line or whose
  quote holds a key fact (any citation given for an unanswerable question is wrong; a refusal's
  quote of what the corpus reports nearest is context, not counted).
- no_wrong_citation: share of questions none of whose answer's citations is off the gold (a
  refusal answers nothing, so it cites nothing wrong).
- unanswerable_refused: share of unanswerable questions (false premises, absent facts) refused.
Then:
- hit_rate / mrr: over answerable questions, whether / how early a gold line appears among the
  first `k` distinct retrieved lines (llama-index's HitRate and MRR).
- citation_validity: share of citations whose quote equals the file's text at its span, inside
  its stated lines, in an existing source.
- markers_resolved: share of answers whose every [n] names a citation and every citation is used.
- citation_recall: share of answer sentences supported by their cited passages (ALCE), by the
  run-time support judge: agreement with the run-time filter.
- citation_recall_llm: the same by the optional LLM judge (None when it did not run).
- citation_precision: share of citations that are relevant (ALCE: not redundant-and-unsupportive),
  by the same judge: agreement with the run-time filter.
- key_fact_recall: share of key facts (over answerable questions) stated in the answer and held
  by a cited quote.
- trap_rate: share of questions with trap lines whose answer cites one.
- refusal_accuracy: share of questions answered exactly when answerable.
- followup_success: share of follow-up questions answered correctly.
- accuracy: share of all questions answered correctly (gold cited, key facts present, no trap;
  or refused when unanswerable).
- time_accuracy: the same over the time-constrained questions (asked with since/until/as_of, or
  of a `time-*` kind: a period in the question); None when the set has none.
- latency_p50_ms / latency_p95_ms: per question, nearest-rank percentiles.
"""

import math

from llama_index.core.evaluation.retrieval.metrics import MRR, HitRate
from pydantic import BaseModel

from eval.golden import GoldenRecord
from eval.judges import Judgment


class Scored(BaseModel):
    record: GoldenRecord
    judgment: Judgment
    latency_ms: float


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


def percentile(values: list[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least q% of the values at or below it, to 0.1; None
    when there are none. The project's one percentile: eval's latencies and every benchmark figure."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)], 1)


def retrieval(results: list[Scored], k: int) -> dict[str, float | None]:
    hits, ranks = [], []
    for r in results:
        if not r.record.answerable:
            continue
        gold = [g.key for g in r.record.gold]
        top = r.judgment.retrieved[:k]
        if not top:
            hits.append(0.0)
            ranks.append(0.0)
            continue
        hits.append(HitRate().compute(expected_ids=gold, retrieved_ids=top).score)
        ranks.append(MRR().compute(expected_ids=gold, retrieved_ids=top).score)
    n = len(hits)
    return {"hit_rate": _share(int(sum(hits)), n), "mrr": round(sum(ranks) / n, 4) if n else None}


def summarize(results: list[Scored], k: int) -> dict[str, float | int | None]:
    citations = [c for r in results for c in r.judgment.citations]
    # Citations of answers; a refusal's quote of what the corpus reports nearest is no answer.
    answering = [c for r in results if r.judgment.answered for c in r.judgment.citations]
    sentences = [s for r in results for s in r.judgment.sentences]
    answerable = [r for r in results if r.record.answerable]
    facts = [f for r in answerable for f in r.judgment.facts_found]
    with_traps = [r for r in results if r.record.traps]
    followups = [r for r in results if r.record.history]
    unanswerable = [r for r in results if not r.record.answerable]
    timed = [r for r in results if r.record.time_constrained]
    latencies = [r.latency_ms for r in results]
    return {
        "questions": len(results),
        "gold_citation_recall": _share(sum(r.judgment.gold_cited for r in answerable), len(answerable)),
        "gold_citation_precision": _share(sum(c.on_gold for c in answering), len(answering)),
        "no_wrong_citation": _share(
            sum(not r.judgment.answered or all(c.on_gold for c in r.judgment.citations) for r in results), len(results)
        ),
        "unanswerable_refused": _share(sum(not r.judgment.answered for r in unanswerable), len(unanswerable)),
        **retrieval(results, k),
        "citation_validity": _share(sum(c.valid for c in citations), len(citations)) if citations else 1.0,
        "markers_resolved": _share(
            sum(not r.judgment.unresolved_markers and not r.judgment.uncited_citations for r in results),
            len(results),
        ),
        "citation_recall": _share(sum(s.supported for s in sentences), len(sentences)),
        "citation_recall_llm": _share(
            sum(bool(s.llm_supported) for s in sentences if s.llm_supported is not None),
            sum(s.llm_supported is not None for s in sentences),
        ),
        "citation_precision": _share(sum(c.relevant and c.valid for c in citations), len(citations)),
        "key_fact_recall": _share(sum(f is not None for f in facts), len(facts)),
        "trap_rate": _share(sum(bool(r.judgment.traps_cited) for r in with_traps), len(with_traps)),
        "refusal_accuracy": _share(sum(r.judgment.answered == r.record.answerable for r in results), len(results)),
        "followup_success": _share(sum(r.judgment.correct for r in followups), len(followups)),
        "accuracy": _share(sum(r.judgment.correct for r in results), len(results)),
        "time_accuracy": _share(sum(r.judgment.correct for r in timed), len(timed)),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def by_kind(results: list[Scored]) -> dict[str, dict[str, float | int | None]]:
    """Per class of question (the records' `kind`): how many, and the share answered correctly."""
    kinds: dict[str, list[Scored]] = {}
    for r in results:
        kinds.setdefault(r.record.kind, []).append(r)
    return {
        kind: {"questions": len(items), "accuracy": _share(sum(r.judgment.correct for r in items), len(items))}
        for kind, items in sorted(kinds.items())
    }
