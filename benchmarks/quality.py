"""Answer quality at BBC scale: the golden sets on one index of every BBC article and our two.

Run in `make bench`, and alone, gated, by `make eval-scale` (`python -m benchmarks.bench --quality`).
"""

from benchmarks.paths import GOLDEN, REPO, WORK
from benchmarks.workload import bbc_corpus, settings_for
from eval import gate
from eval.golden import load_set
from eval.run import evaluate
from eval.targets import InProcessTarget
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service.pipeline import Pipeline
from service.sources import SourceLibrary
from service.support import SupportJudge

SCALE_THRESHOLDS = REPO / "eval" / "thresholds-scale.json"
QUALITY_KEYS = (
    "gold_citation_recall",
    "gold_citation_precision",
    "no_wrong_citation",
    "unanswerable_refused",
    "followup_success",
    "hit_rate",
    "mrr",
    "refusal_accuracy",
    "accuracy",
    "trap_rate",
    "citation_validity",
    "key_fact_recall",
)
# The dev sets (rules were tuned on them) and the frozen test set (never used to choose anything),
# each with its own gate.
QUALITY_SETS = {
    "bbc": SCALE_THRESHOLDS,
    "core": SCALE_THRESHOLDS,
    "bbc2": REPO / "eval" / "thresholds-bbc2.json",
    "followups": REPO / "eval" / "thresholds-followups.json",
    "bbc3": REPO / "eval" / "thresholds-bbc3.json",
    "multipart": REPO / "eval" / "thresholds-multipart.json",
    "test": REPO / "eval" / "thresholds-test.json",
}


def quality_at_scale(settings: Settings, embedder: MiniLMEmbedding) -> dict[str, dict]:
    """The eval harness on the full index: the dev sets (BBC, and the two-article set among
    2,225) and the frozen test set, each gated by its thresholds (QUALITY_SETS)."""
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    found = {}
    for name, thresholds in QUALITY_SETS.items():
        _, summary = evaluate(
            load_set(GOLDEN / f"{name}.jsonl"),
            [InProcessTarget(pipeline)],
            SourceLibrary(settings.store.corpus_dir),
            SupportJudge(embedder),
            f"eval/golden/{name}.jsonl",
            "in-process (bench)",
            gate.load_thresholds(thresholds),
            {},
            WORK / "reports",
            progress=False,
        )
        found[name] = {**summary.systems["citeline"], "gate_failures": summary.gate.failures}
    return found


def quality_only() -> int:
    """`make eval-scale`: the quality half of the benchmark, gated; exit 1 when a threshold is missed."""
    embedder = MiniLMEmbedding()
    full = settings_for(bbc_corpus(), "full")
    print(f"ingesting {full.store.corpus_dir} (incremental)…", flush=True)
    run_ingest(full, UnitStore(full), lambda: embedder, progress=True)
    failed = False
    for name, m in quality_at_scale(full, embedder).items():
        print(f"golden {name}: " + ", ".join(f"{k} {m[k]}" for k in QUALITY_KEYS))
        for failure in m["gate_failures"]:
            print(f"  FAILED: {failure}")
            failed = True
    print(f"reports: {WORK / 'reports'}")
    return 1 if failed else 0
