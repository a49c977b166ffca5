"""The scale curve of issue #14: how a service's memory, start-up and p95 grow with units.

    python -m benchmarks.scale_curve [--sizes 1000,3000,10000,30000] [--bbc]

Per size: a synthetic corpus of that many articles (benchmarks/synthetic.py), its own `chroma run`
server with data kept under <WORK>/scale-<n>/chroma-server (a rerun ingests nothing and only
measures again), `run_ingest` with the stand-in embedder (benchmarks/stand_in_embedder.py: word
hashing, a benchmark instrument, since the real model would take days) in a child process that
times each phase, then fresh service processes, each timed from its launch through its imports
to the first answer of `Pipeline.ask`, and measured (psutil USS) after that answer and after
QUESTIONS more. `--bbc` adds the BBC corpus ingested and asked with the real model through the
same harness; the main bench's figures (latest.json, embedded Chroma) are kept as a reference.

Rows are merged into benchmarks/results/scale_curve.json by (corpus, embedder), so sizes can be
run one invocation at a time; the USS slope is fitted over all stand-in rows, and
scale_curve.png is drawn from the file. An ingest that outlasts --ingest-budget-min is stopped
(SIGTERM; ingest is crash-safe) and its size reported incomplete: the next run goes on from
where it stopped.

The children of this module run `python -m benchmarks.scale_curve --child KIND SPEC`; this
module imports only the standard library at the top, so a measured child's start-up is the
product's imports, not ours.
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.chroma_server import chroma_server
from benchmarks.paths import REPO, RESULTS, WORK

SIZES = (1000, 3000, 10000, 30000)
QUESTIONS = 1000  # asked by each measured service process after its first answer
REPEATS = 3  # fresh service processes per size; the row keeps their medians
INGEST_BUDGET_MIN = 22.0
FIRST_QUESTION = "What did Tony Blair say about the election?"
STAND_IN_COLLECTION = "standin_units"  # never the product's default name: these are no MiniLM vectors
GOAL_USS_MB_PER_10K = 5.0
GOAL_COLD_START_S = 3.0
RESULT_FILE = RESULTS / "scale_curve.json"
PLOT_FILE = RESULTS / "scale_curve.png"


# --- what is measured, and where it lives ----------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One point of the curve: a corpus, the embedder that indexed it and where its data live."""

    name: str  # "synthetic-10000", "bbc"
    corpus: Path
    embedder: str  # "stand-in" or "minilm"
    articles: int

    @property
    def folder(self) -> Path:
        tag = self.name.removeprefix("synthetic-")
        return WORK / (f"scale-{tag}" if self.embedder == "stand-in" else f"scale-{tag}-{self.embedder}")

    def spec(self, chroma_url: str) -> dict[str, Any]:
        return {
            "corpus": str(self.corpus),
            "data_dir": str(self.folder / "data"),
            "index_dir": str(self.folder / "index"),
            "chroma_url": chroma_url,
            "collection": STAND_IN_COLLECTION if self.embedder == "stand-in" else "citeline_units",
            "embedder": self.embedder,
        }


def _settings(spec: dict[str, Any], **more: Any) -> Any:
    from ingest.settings import Settings

    return Settings.read(
        corpus_dir=Path(spec["corpus"]),
        data_dir=Path(spec["data_dir"]),
        index_dir=Path(spec["index_dir"]),
        chroma_url=spec["chroma_url"],
        collection=spec["collection"],
        **more,
    )


def _embedder(spec: dict[str, Any], settings: Any) -> Any:
    if spec["embedder"] == "stand-in":
        from benchmarks.stand_in_embedder import StandInEmbedder

        return StandInEmbedder()
    from ingest.embedder import MiniLMEmbedding

    return MiniLMEmbedding.configured(settings.store)


def _child_env() -> dict[str, str]:
    # The product's settings come from the spec alone, not from whatever CITELINE_* this shell has.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITELINE_") or k == "CITELINE_BENCH_DIR"}
    env["PYTHONPATH"] = str(REPO)
    return env


def _run_child(kind: str, spec: dict[str, Any], timeout_s: float | None = None) -> tuple[dict[str, Any], float]:
    """Run `--child kind` and return the JSON its last stdout line holds, and when it was launched
    (time.time()). On timeout the child gets SIGTERM and reports what it did so far."""
    launched = time.time()
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.scale_curve", "--child", kind, json.dumps(spec)],
        cwd=REPO,
        env=_child_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        out, _ = child.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.send_signal(signal.SIGTERM)
        out, _ = child.communicate(timeout=600)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"--child {kind} exited {child.returncode} without a result")
    return json.loads(lines[-1]), launched


# --- the ingest child: run_ingest, each phase timed ---------------------------------------


class BudgetSpent(BaseException):
    """SIGTERM from the parent: the ingest budget is spent (ingest resumes on the next run)."""


class _Clock:
    """Adds up the wall time spent in wrapped calls (from any thread) and when each began first."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.first: dict[str, float] = {}

    def timed(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            self.first.setdefault(name, started)
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return call

    def timed_iter(self, name: str, fn: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
        def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
            items = fn(*args, **kwargs)
            while True:
                started = time.perf_counter()
                try:
                    item = next(items)
                except StopIteration:
                    return
                finally:
                    self.seconds[name] += time.perf_counter() - started
                yield item

        return call


def _ingest_child(spec: dict[str, Any]) -> dict[str, Any]:
    import resource

    from ingest import corpus_index, index_dir, lexical
    from ingest.job import run_ingest
    from ingest.store import UnitStore

    def stop(signum: int, frame: object) -> None:
        raise BudgetSpent

    signal.signal(signal.SIGTERM, stop)
    settings = _settings(spec)
    clock = _Clock()
    store = UnitStore(settings)
    for name, method in (
        ("chroma_write_s", "upsert"),
        ("manifest_s", "put_file_records"),
        ("manifest_s", "delete_files"),
        ("manifest_s", "put_articles"),
        ("manifest_s", "file_records"),
    ):
        setattr(store, method, clock.timed(name, getattr(store, method)))
    store.units_and_vectors = clock.timed_iter("read_back_s", store.units_and_vectors)  # type: ignore[method-assign]
    # index_dir.build calls corpus_index.write and lexical.write through their modules.
    index_dir.build = clock.timed("index_build_s", index_dir.build)  # type: ignore[assignment]
    corpus_index.write = clock.timed("corpus_tables_s", corpus_index.write)  # type: ignore[assignment]
    lexical.write = clock.timed("bm25_s", lexical.write)  # type: ignore[assignment]
    model = _embedder(spec, settings)
    object.__setattr__(model, "embed", clock.timed("embed_s", model.embed))  # a pydantic model
    units_before = store.count()
    started = time.perf_counter()
    result: dict[str, Any] = {"complete": False, "started": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        report = run_ingest(settings, store, lambda: model, progress=False)
        result.update(
            complete=True,
            articles_added=len(report.added) + len(report.updated),
            skipped=len(report.skipped),
            units_written=report.units_written,
            units_total=report.units_total,
            index_built=report.index_built,
        )
    except BudgetSpent:
        result["stopped"] = "ingest budget spent (SIGTERM); the next run resumes"
    ended = time.perf_counter()
    phases = {name: round(s, 2) for name, s in sorted(clock.seconds.items())}
    embedding_began = clock.first.get("embed_s")
    build_began = clock.first.get("index_build_s")
    # Scan, read, hash and split every changed file: all of it happens before the first embedding.
    phases["prepare_s"] = round((embedding_began or build_began or ended) - started, 2)
    if embedding_began is not None:
        # Embed a group while the writer thread sends the previous one to Chroma.
        phases["embed_and_write_s"] = round((build_began or ended) - embedding_began, 2)
    result["phases"] = phases
    result["seconds"] = round(ended - started, 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    result["units_stored"] = store.count()
    result["units_added"] = result["units_stored"] - units_before  # what this run wrote, stopped or not
    return result


# --- the measuring child: a fresh service process ---------------------------------------------


def _memory() -> dict[str, float]:
    import psutil

    info = psutil.Process().memory_full_info()
    anon = 0.0
    with open("/proc/self/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Anonymous:"):
                anon = int(line.split()[1]) / 1024
    return {"uss_mb": info.uss / 2**20, "rss_mb": info.rss / 2**20, "anon_mb": anon}


def _measure_child(spec: dict[str, Any]) -> dict[str, Any]:
    """Everything a service needs, imported and opened here, then the first answer: the parent
    counts from launching this process to `answered_at`."""
    began = time.time()
    from ingest.store import UnitStore
    from service.pipeline import Pipeline
    from service.schemas import AskRequest

    settings = _settings(spec, conversations_db=Path(spec["conversations_db"]))
    embedder = _embedder(spec, settings)
    imported = time.time()
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    opened = time.time()
    pipeline.ask(AskRequest(question=FIRST_QUESTION))
    answered_at = time.time()
    at_start = _memory()

    from benchmarks.workload import questions
    from eval.metrics import percentile

    asked = questions()
    times: list[float] = []
    answered = 0
    for i in range(spec["questions"]):
        started = time.perf_counter()
        response = pipeline.ask(AskRequest(question=asked[i % len(asked)]))
        times.append((time.perf_counter() - started) * 1000)
        answered += response.answered
    after = _memory()
    return {
        "units": len(pipeline.index),
        "began": began,
        "imports_s": round(imported - began, 3),
        "open_s": round(opened - imported, 3),
        "first_ask_s": round(answered_at - opened, 3),
        "answered_at": answered_at,
        **{f"{k.removesuffix('_mb')}_start_mb": round(v, 1) for k, v in at_start.items()},
        **{f"{k.removesuffix('_mb')}_after_mb": round(v, 1) for k, v in after.items()},
        "p50_ms": percentile(times, 50),
        "p95_ms": percentile(times, 95),
        "p99_ms": percentile(times, 99),
        "questions": len(times),
        "answered_share": round(answered / len(times), 3) if times else None,
        "cpu_s": round(sum(os.times()[:2]), 2),
    }


# --- one point ------------------------------------------------------------------------------


def _folder_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def _ingest_runs(point: Point) -> list[dict[str, Any]]:
    path = point.folder / "ingest-runs.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def _server_memory(pid: int) -> dict[str, float]:
    import psutil

    info = psutil.Process(pid).memory_full_info()
    return {"chroma_rss_mb": round(info.rss / 2**20, 1), "chroma_uss_mb": round(info.uss / 2**20, 1)}


def measure_point(
    point: Point, questions: int = QUESTIONS, repeats: int = REPEATS, budget_min: float = INGEST_BUDGET_MIN
) -> dict[str, Any]:
    """Ingest `point` into its Chroma server (incrementally), restart the server, then measure
    `repeats` fresh service processes; the row of the curve."""
    chroma_dir = point.folder / "chroma-server"
    row: dict[str, Any] = {"corpus": point.name, "embedder": point.embedder, "articles": point.articles}
    with chroma_server(chroma_dir) as server:
        _say(f"{point.name}: ingest ({point.embedder}) into {server.url}, budget {budget_min} min")
        run, _ = _run_child("ingest", point.spec(server.url), timeout_s=budget_min * 60)
        runs = [*_ingest_runs(point), run]
        (point.folder / "ingest-runs.json").write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
        _say(f"{point.name}: ingest {run['seconds']} s, phases {run['phases']}")
    row["ingest_runs"] = runs
    if not run["complete"]:
        row.update(complete=False, units_stored=run["units_stored"])
        return row
    # Measured against a server started afresh: how long it takes to open this many vectors
    # (its first query), then warm, as a long-running Chroma is when a service restarts.
    with chroma_server(chroma_dir) as server:
        spec = point.spec(server.url)
        first_query_s = _first_query_s(spec)
        samples = []
        for i in range(repeats):
            conversations = point.folder / f"conversations-{i}.sqlite3"
            conversations.unlink(missing_ok=True)
            child_spec = {**spec, "conversations_db": str(conversations), "questions": questions}
            quiet = _wait_for_quiet()
            busy = _Busy(server.pid)
            result, launched = _run_child("measure", child_spec)
            result["cold_start_s"] = round(result.pop("answered_at") - launched, 3)
            # The interpreter's own start, and this module's (stdlib) imports: not the product's.
            result["interpreter_s"] = round(result.pop("began") - launched, 3)
            result["machine_cpu_before_percent"] = quiet
            result["others_cpu_percent"] = busy.others_percent(result.pop("cpu_s"))
            samples.append(result)
            _say(
                f"{point.name}: cold start {result['cold_start_s']} s, USS {result['uss_start_mb']} -> "
                f"{result['uss_after_mb']} MB, p95 {result['p95_ms']} ms"
            )
        server_memory = _server_memory(server.pid)
        stored_articles = len(_store(spec).file_records())
        chroma_start_s = server.start_s
    row.update(
        complete=True,
        articles=stored_articles,
        units=samples[0]["units"],
        **{key: _median(samples, key) for key in samples[0] if key not in ("units", "questions", "answered_share")},
        questions=samples[0]["questions"],
        answered_share=samples[0]["answered_share"],
        cold_start_runs=[s["cold_start_s"] for s in samples],
        chroma_start_s=round(chroma_start_s, 2),
        chroma_first_query_s=round(first_query_s, 3),
        **server_memory,
        chroma_disk_mb=_folder_mb(chroma_dir),
        index_disk_mb=_folder_mb(point.folder / "index"),
        measured=datetime.now(UTC).isoformat(timespec="seconds"),
        commit=_commit(),
    )
    return row


def _store(spec: dict[str, Any]) -> Any:
    from ingest.store import UnitStore

    return UnitStore(_settings(spec))


def _first_query_s(spec: dict[str, Any]) -> float:
    import numpy as np

    from ingest.minilm import DIMENSIONS

    store = _store(spec)
    vector = np.full(DIMENSIONS, DIMENSIONS**-0.5, dtype=np.float32)
    started = time.perf_counter()
    store.nearest(vector, 40)
    return time.perf_counter() - started


def _wait_for_quiet(max_wait_s: float = 300, busy_percent: float = 25.0) -> float:
    """Wait (at most max_wait_s) until the machine's CPU use over 2 s is below busy_percent:
    another job on this small machine would slow the start-up and p95 measured; the last reading."""
    import psutil

    deadline = time.monotonic() + max_wait_s
    waited = False
    while True:
        used = psutil.cpu_percent(interval=2)
        if used < busy_percent or time.monotonic() > deadline:
            if waited:
                _say(f"measuring at {used:.0f}% CPU")
            return used
        if not waited:
            _say(f"machine busy ({used:.0f}% CPU), waiting up to {max_wait_s:.0f} s before measuring")
            waited = True


class _Busy:
    """How much of the machine processes other than a measured child and the Chroma server used."""

    def __init__(self, server_pid: int) -> None:
        import psutil

        self.server = psutil.Process(server_pid)
        self.started = time.monotonic()
        self.machine = self._machine_busy()
        self.server_cpu = self._server_cpu()

    @staticmethod
    def _machine_busy() -> float:
        import psutil

        t = psutil.cpu_times()
        return sum(t) - t.idle - getattr(t, "iowait", 0.0)

    def _server_cpu(self) -> float:
        t = self.server.cpu_times()
        return t.user + t.system

    def others_percent(self, child_cpu_s: float) -> float:
        others = self._machine_busy() - self.machine - (self._server_cpu() - self.server_cpu) - child_cpu_s
        return round(max(0.0, others) / ((time.monotonic() - self.started) * (os.cpu_count() or 1)) * 100, 1)


def _median(samples: list[dict[str, Any]], key: str) -> float | None:
    values = [s[key] for s in samples]
    return None if None in values else round(statistics.median(values), 3)


def _say(text: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the curve --------------------------------------------------------------------------------


def uss_slope_per_10k(rows: Sequence[dict[str, Any]], key: str = "uss_after_mb") -> float | None:
    """Least-squares slope of `key` over units, in MB per 10,000 units (None below two points)."""
    points = [(r["units"], r[key]) for r in rows if r.get("complete") and r.get(key) is not None]
    if len(points) < 2:
        return None
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread * 10_000, 3) if spread else None


INDEX_PHASES = ("index_build_s", "read_back_s", "corpus_tables_s", "bm25_s")


def ingest_rates(row: dict[str, Any]) -> dict[str, float] | None:
    """Seconds per 10,000 units of each ingest phase: the writing phases summed over the runs that
    wrote units (a stopped run and the one that resumed it), the index phases from the run that
    built the index over all of them."""
    runs = row.get("ingest_runs", [])
    builds = [r for r in runs if r.get("index_built")]
    if not builds:
        return None
    build = builds[-1]
    writers = [r for r in runs[: runs.index(build) + 1] if r.get("units_added")]
    written = sum(r["units_added"] for r in writers)
    per: dict[str, float] = {}
    for phase in sorted({p for r in [*writers, build] for p in r["phases"]}):
        if phase in INDEX_PHASES:
            per[phase] = round(build["phases"].get(phase, 0.0) / build["units_total"] * 10_000, 2)
        elif written:
            per[phase] = round(sum(r["phases"].get(phase, 0.0) for r in writers) / written * 10_000, 2)
    return per


def _index_builds(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [run for r in rows for run in r.get("ingest_runs", []) if run.get("index_built") and run.get("units_total")]


def _fit(points: Sequence[tuple[float, float]], *powers: int) -> list[float] | None:
    """Least-squares coefficients of y = sum(c_i * x ** powers[i]), no intercept."""
    import numpy as np

    if len(points) < len(powers):
        return None
    x = np.array([p[0] for p in points], dtype=float)
    design = np.stack([x**k for k in powers], axis=1)
    coefficients, *_ = np.linalg.lstsq(design, np.array([p[1] for p in points], dtype=float), rcond=None)
    return [float(c) for c in coefficients]


def project(rows: Sequence[dict[str, Any]], articles: int) -> dict[str, Any] | None:
    """An ingest of `articles` synthetic articles on this machine, projected from the measured
    points: scanning, splitting and writing to Chroma at the largest point's rate per unit (the
    server's write rate held from 59,000 to 586,000 units); reading every unit back fitted as
    a*n + b*n**2 (the measured read-backs paged with limit/offset, whose cost per page grows
    with the offset; UnitStore.all_units reads a few files at a time since); the rest of the
    index build, and the peak memory, linear in units."""
    measured = [r for r in rows if r.get("complete") and r["embedder"] == "stand-in" and ingest_rates(r)]
    if not measured:
        return None
    largest = max(measured, key=lambda r: r["units"])
    rates = ingest_rates(largest) or {}
    units = round(largest["units"] / largest["articles"] * articles)
    per_unit = units / 10_000
    builds = _index_builds(measured)
    read_back = _fit([(b["units_total"], b["phases"].get("read_back_s", 0.0)) for b in builds], 1, 2)
    memory = _fit([(b["units_total"], b["peak_rss_mb"]) for b in builds if b.get("peak_rss_mb")], 0, 1)
    read_back_s = sum(c * units**k for c, k in zip(read_back, (1, 2), strict=True)) if read_back else None
    rest_of_build = rates.get("index_build_s", 0.0) - rates.get("read_back_s", 0.0)
    seconds = {
        "prepare_s": round(rates.get("prepare_s", 0.0) * per_unit),
        "embed_and_write_s": round(rates.get("embed_and_write_s", 0.0) * per_unit),
        "index_build_s": round((read_back_s or rates.get("read_back_s", 0.0) * per_unit) + rest_of_build * per_unit),
    }
    return {
        "articles": articles,
        "units": units,
        "from_articles": largest["articles"],
        "phases_s": seconds,
        "read_back_s": round(read_back_s) if read_back_s is not None else None,
        "total_min": round(sum(seconds.values()) / 60, 1),
        "index_build_peak_rss_gb": round((memory[0] + memory[1] * units) / 1024, 1) if memory else None,
        "note": "the index build is one step: a run stopped in it starts it again, so it must fit in one run",
    }


# The main bench's figures at BBC scale (real model) that bear on the curve, as far as its
# latest.json has them: its start-up and memory are `citeline serve`'s, over HTTP.
REFERENCE_KEYS = (
    "created",
    "articles",
    "units",
    "ask_p50_ms",
    "ask_p95_ms",
    "cold_start_s",
    "uss_one_process_mb",
    "worker_uss_mb",
    "worker_uss_chroma_server_mb",
    "rss_mb",
    "rss_after_1000_mb",
)


def _main_bench_reference() -> dict[str, Any] | None:
    latest = RESULTS / "latest.json"
    if not latest.is_file():
        return None
    data = json.loads(latest.read_text(encoding="utf-8"))
    return {
        "note": "make bench (benchmarks/bench.py): real model, `citeline serve` over HTTP, embedded Chroma "
        "unless the key says chroma_server; not the harness of the rows",
        **{k: data[k] for k in REFERENCE_KEYS if k in data},
    }


def _commit() -> str | None:
    """The code measured: HEAD, marked when ingest/ or service/ differ from it in the working tree."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "ingest", "service"], cwd=REPO, capture_output=True
        )
    except OSError:
        return None
    return head.stdout.strip() + ("+changes in ingest/ or service/" if dirty.stdout.strip() else "") or None


def scale_curve(
    sizes: Sequence[int] = SIZES,
    bbc: bool = False,
    questions: int = QUESTIONS,
    repeats: int = REPEATS,
    budget_min: float = INGEST_BUDGET_MIN,
    reference: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure each size (and the BBC corpus with the real model when `bbc`), merge the rows
    into RESULT_FILE, fit the USS slope, draw PLOT_FILE; the file's content.
    `reference`: the main bench's figures (latest.json when not given)."""
    from benchmarks.synthetic import synthetic_corpus

    WORK.mkdir(parents=True, exist_ok=True)
    points = [Point(f"synthetic-{n}", synthetic_corpus(n), "stand-in", n) for n in sorted(sizes)]
    if bbc:
        from benchmarks.workload import bbc_corpus

        corpus = bbc_corpus()
        files = sum(1 for _ in corpus.rglob("*.txt"))
        # The BBC corpus twice: with the model, and with the stand-in to show what it changes.
        points[:0] = [Point("bbc", corpus, "minilm", files), Point("bbc", corpus, "stand-in", files)]
    previous = json.loads(RESULT_FILE.read_text(encoding="utf-8")) if RESULT_FILE.is_file() else {}
    rows = {(r["corpus"], r["embedder"]): r for r in previous.get("scale_curve", [])}
    result = previous if points else _record(list(rows.values()), questions, repeats, reference)
    for point in points:
        row = measure_point(point, questions, repeats, budget_min)
        rows[(row["corpus"], row["embedder"])] = row
        # Written after each point: a run stopped part-way keeps what it measured.
        result = _record(list(rows.values()), questions, repeats, reference)
        if not row["complete"]:
            _say(f"{point.name}: ingest incomplete after {budget_min} min; larger sizes skipped")
            break
    return result


def _record(
    rows: list[dict[str, Any]], questions: int, repeats: int, reference: dict[str, Any] | None
) -> dict[str, Any]:
    """Write RESULT_FILE from these rows (with the slope, ingest rates and projection) and draw it."""
    ordered = sorted(rows, key=lambda r: (not r["corpus"].startswith("synthetic-"), r["articles"], r["embedder"]))
    synthetic = [r for r in ordered if r["corpus"].startswith("synthetic-")]
    import psutil

    result = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"Python {sys.version.split()[0]}",
        "what": "per point: a fresh service process (Pipeline in-process, Chroma server) timed from launch to "
        f"its first answer, psutil USS after it and after {questions} questions, in-process p95; the median of "
        f"{repeats} processes. Synthetic points use the stand-in embedder (a benchmark instrument: word hashing, "
        "no quality); their USS excludes the real model, which the bbc/minilm row includes.",
        "goals": {"uss_mb_per_10k_units": GOAL_USS_MB_PER_10K, "cold_start_s": GOAL_COLD_START_S},
        # Fitted over the synthetic points (one embedder, one kind of corpus).
        "uss_mb_per_10k_units": uss_slope_per_10k(synthetic),
        "uss_start_mb_per_10k_units": uss_slope_per_10k(synthetic, "uss_start_mb"),
        "anon_mb_per_10k_units": uss_slope_per_10k(synthetic, "anon_after_mb"),
        "ingest_s_per_10k_units": {
            f"{r['corpus']} ({r['embedder']})": ingest_rates(r) for r in ordered if r.get("complete")
        },
        "projection_100k": project(synthetic, 100_000),
        "main_bench_reference": reference if reference is not None else _main_bench_reference(),
        "scale_curve": ordered,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    scratch = RESULT_FILE.with_suffix(".json.tmp")
    scratch.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    os.replace(scratch, RESULT_FILE)
    plot(result)
    return result


def plot(result: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # headless; pyplot after the backend is chosen
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    rows = [r for r in result["scale_curve"] if r.get("complete")]
    stand_in = [r for r in rows if r["corpus"].startswith("synthetic-")]
    others = [r for r in rows if not r["corpus"].startswith("synthetic-")]
    markers = {"minilm": ("*", "real model"), "stand-in": ("X", "stand-in")}
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    panels = (
        (
            "USS of a service process (MB)",
            [
                ("uss_start_mb", "after 1st answer"),
                ("uss_after_mb", "after 1,000 more"),
                # The rest of USS is file pages only this process maps: the BM25 index (mmap).
                ("anon_after_mb", "of which anonymous (heap)"),
            ],
        ),
        (
            "cold start: launch to 1st answer (s)",
            [("cold_start_s", "median"), ("imports_s", "of which imports (+ model load)")],
        ),
        ("in-process Pipeline.ask (ms)", [("p95_ms", "p95"), ("p50_ms", "p50")]),
    )
    for ax, (title, series) in zip(axes, panels, strict=True):
        for key, label in series:
            line = ax.plot([r["units"] for r in stand_in], [r[key] for r in stand_in], marker="o", label=label)
            for r in others:
                marker, _ = markers.get(r["embedder"], ("s", r["embedder"]))
                ax.plot([r["units"]], [r[key]], marker=marker, markersize=11, color=line[0].get_color())
        for embedder in sorted({r["embedder"] for r in others}):
            marker, name = markers.get(embedder, ("s", embedder))
            ax.plot([], [], marker=marker, linestyle="", color="black", label=f"BBC corpus, {name}")
        ax.set(xscale="log", xlabel="units indexed", title=title)
        # Ticks at the points measured, in thousands of units.
        ax.xaxis.set_major_locator(FixedLocator(sorted({r["units"] for r in rows})))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1000:,.0f}k"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.grid(alpha=0.3)
    slope = result.get("uss_mb_per_10k_units")
    if stand_in and slope is not None:
        first = stand_in[0]
        xs = [r["units"] for r in stand_in]
        goal = [first["uss_after_mb"] + GOAL_USS_MB_PER_10K * (x - first["units"]) / 10_000 for x in xs]
        axes[0].plot(xs, goal, linestyle="--", color="grey", label=f"goal {GOAL_USS_MB_PER_10K:g} MB/10k units")
        axes[0].set_title(f"USS of a service process (MB): {slope:+.2f} MB/10k units")
    for r in stand_in:
        runs = r.get("cold_start_runs", [])
        axes[1].plot([r["units"]] * len(runs), runs, marker=".", linestyle="", color="grey", alpha=0.6)
    axes[1].axhline(GOAL_COLD_START_S, linestyle="--", color="grey", label=f"goal {GOAL_COLD_START_S:g} s")
    axes[1].set_ylim(bottom=0)
    axes[2].set_ylim(bottom=0)
    for ax in axes:
        ax.legend(fontsize=8)
    fig.suptitle(
        "citeline scale curve: service process beside a Chroma server; "
        "lines = synthetic corpora embedded by a stand-in instrument"
    )
    fig.tight_layout()
    fig.savefig(PLOT_FILE, dpi=120)
    plt.close(fig)


def _print_table(result: dict[str, Any]) -> None:
    print(f"{'corpus':<18}{'embedder':<10}{'units':>9}{'cold s':>8}{'USS start':>11}{'USS after':>11}{'p95 ms':>8}")
    for r in result["scale_curve"]:
        if r.get("complete"):
            print(
                f"{r['corpus']:<18}{r['embedder']:<10}{r['units']:>9}{r['cold_start_s']:>8.2f}"
                f"{r['uss_start_mb']:>11.1f}{r['uss_after_mb']:>11.1f}{r['p95_ms']:>8.1f}"
            )
        else:
            print(f"{r['corpus']:<18}{r['embedder']:<10}  incomplete: {r.get('units_stored')} units stored")
    print(f"USS slope: {result['uss_mb_per_10k_units']} MB per 10,000 units (goal <= {GOAL_USS_MB_PER_10K})")
    print(f"projected 100k ingest: {result['projection_100k']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="synthetic articles per point")
    parser.add_argument("--bbc", action="store_true", help="also the BBC corpus with the real model (slow once)")
    parser.add_argument("--questions", type=int, default=QUESTIONS)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--ingest-budget-min", type=float, default=INGEST_BUDGET_MIN)
    parser.add_argument("--plot-only", action="store_true", help="redraw the PNG from the JSON")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, spec = args.child
        work = {"ingest": _ingest_child, "measure": _measure_child}[kind]
        print(json.dumps(work(json.loads(spec))), flush=True)
        return
    if args.plot_only:
        plot(json.loads(RESULT_FILE.read_text(encoding="utf-8")))
        return
    # Stopped from outside, still stop the Chroma server and the children (the context managers).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(f"stopped by signal {signum}"))
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    _print_table(scale_curve(sizes, args.bbc, args.questions, args.repeats, args.ingest_budget_min))


if __name__ == "__main__":
    main()
