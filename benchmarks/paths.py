"""Where the benchmarks read and write.

RESULTS is committed; WORK (CITELINE_BENCH_DIR, /tmp/citeline-bench by default) holds the
downloaded texts, the indexes and the eval reports, and is never committed.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
WORK = Path(os.environ.get("CITELINE_BENCH_DIR", "/tmp/citeline-bench"))
GOLDEN = REPO / "eval" / "golden"
