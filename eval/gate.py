"""The CI gate: committed thresholds, the committed baseline, and the peer comparison."""

import json
from pathlib import Path

from pydantic import BaseModel, Field

EVAL_DIR = Path(__file__).resolve().parent
THRESHOLDS = EVAL_DIR / "thresholds.json"
BASELINE = EVAL_DIR / "baseline" / "summary.json"
# Metrics where lower is better.
LOWER_IS_BETTER = {"trap_rate", "latency_p50_ms", "latency_p95_ms"}


class Thresholds(BaseModel):
    k: int = Field(5, ge=1, description="Retrieval metrics count the first k distinct lines.")
    min: dict[str, float] = Field(default_factory=dict)
    max: dict[str, float] = Field(default_factory=dict)
    beat_peer: list[str] = Field(default_factory=list, description="Metrics where we must beat the peer.")


class GateResult(BaseModel):
    passed: bool
    failures: list[str]


def load_thresholds(path: Path = THRESHOLDS) -> Thresholds:
    return Thresholds.model_validate_json(path.read_text(encoding="utf-8"))


def load_baseline(path: Path = BASELINE) -> dict[str, float | None]:
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))["systems"]["citeline"]


def deltas(ours: dict, baseline: dict) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for name, value in ours.items():
        before = baseline.get(name)
        out[name] = (
            round(value - before, 4) if isinstance(value, int | float) and isinstance(before, int | float) else None
        )
    return out


def check(ours: dict, peer: dict | None, thresholds: Thresholds) -> GateResult:
    failures = []
    for name, floor in thresholds.min.items():
        value = ours.get(name)
        if value is None or value < floor:
            failures.append(f"{name} = {value} is below {floor}")
    for name, ceiling in thresholds.max.items():
        value = ours.get(name)
        if value is None or value > ceiling:
            failures.append(f"{name} = {value} is above {ceiling}")
    if peer is not None:
        for name in thresholds.beat_peer:
            mine, theirs = ours.get(name), peer.get(name)
            if mine is None or theirs is None:
                continue
            better = mine < theirs if name in LOWER_IS_BETTER else mine > theirs
            if not better:
                failures.append(f"{name} = {mine} does not beat the peer's {theirs}")
    return GateResult(passed=not failures, failures=failures)
