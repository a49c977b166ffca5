"""Answer latency in one process, over the golden questions: citeline's and the naive peer's."""

import time
from pathlib import Path

from benchmarks.workload import questions
from eval.metrics import percentile
from eval.peer import PeerTarget
from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import UnitStore
from service.pipeline import Pipeline
from service.schemas import AskRequest


def ask_latency(settings: Settings, embedder: MiniLMEmbedding, n: int = 200) -> dict[str, float | None]:
    """`Pipeline.ask` on the index of `settings`, n questions in turn: p50, p95 and p99 in ms."""
    pipeline = Pipeline(settings, UnitStore(settings), embedder)
    asked = questions()
    times = []
    for i in range(n):
        started = time.perf_counter()
        pipeline.ask(AskRequest(question=asked[i % len(asked)]))
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "p99_ms": percentile(times, 99)}


def peer_latency(corpus: Path, embedder: MiniLMEmbedding) -> dict[str, float | None]:
    """The naive LlamaIndex peer: its ingest of `corpus` in s and its query p95 in ms."""
    peer = PeerTarget(corpus, embedder)
    times = [peer.ask(q, None).latency_ms for q in questions()[:100]]
    return {"ingest_s": peer.ingest_seconds, "p95_ms": percentile(times, 95)}
