"""Schemathesis against the app's own OpenAPI schema, over real HTTP, with all its checks:
no 5xx, responses that match the schema, schema-valid requests accepted and invalid ones
rejected. Several hundred generated cases (its pytest plugin does not run on pytest 9, so the
CLI does the work)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"


def test_api_contract(server: str) -> None:
    run = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{server}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "50",
            "--seed",
            "20261126",
            "--no-color",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    print(run.stdout[-3000:])
    assert run.returncode == 0, run.stdout[-6000:]
    generated = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert generated and int(generated.group(1)) >= 300 and generated.group(1) == generated.group(2)


def test_the_run_leaves_the_checkout_clean(server: str) -> None:
    """Schemathesis keeps a cache (.schemathesis/) where it runs; a test run must not leave
    changes for git to show."""
    if not shutil.which("git") or not (REPO / ".git").exists():
        return  # not a git checkout: nothing to dirty
    subprocess.run(
        [str(SCHEMATHESIS), "run", f"{server}/openapi.json", "--max-examples", "1", "--include-path", "/healthz"],
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", ".schemathesis"], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert status.stdout == "", status.stdout
