"""The data path runs one way: ingest <- service <- eval, and only the `citeline` command composes them."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# package -> the packages it must never import
FORBIDDEN = {"ingest": {"service", "eval", "benchmarks", "citeline"}, "service": {"eval", "benchmarks", "citeline"}}


def imported_packages(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_layer_never_imports_the_layers_above_it(package: str) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in sorted((REPO / package).rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_service_reads_text_analysis_through_its_public_surface() -> None:
    """`ingest.text` is one subpackage with a small surface (its __init__); the service does not
    reach into its modules, nor into ingest's attribution and layout rules."""
    reached = {}
    for path in sorted((REPO / "service").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith(("ingest.text.", "ingest.layout"))
            ):
                reached[str(path.relative_to(REPO))] = node.module
    assert reached == {}


def test_the_layer_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import json\nfrom eval.golden import DEFAULT_SET\n", encoding="utf-8")
    assert imported_packages(module) == {"json", "eval"}


def test_a_service_starts_without_llama_index_nltk_or_the_openai_client() -> None:
    """What serving the extractive answerer imports: llama-index, nltk (with scipy) and the openai
    client are about two seconds of every start, and ingest or an LLM preset alone needs them."""
    probe = (
        "import sys; import service.app, service.pipeline, service.workers, service.cli; "
        "print(sorted(set(sys.modules) & {'llama_index.core', 'nltk', 'openai', 'sqlalchemy'}))"
    )
    found = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "[]"
