"""Whole eval runs: the CI quality gate on the golden set, --url mode, the CLI."""

import json
from pathlib import Path

import pytest

from eval import gate, run
from eval.golden import DEFAULT_SET, load_set
from eval.peer import PeerTarget
from eval.targets import HttpTarget, InProcessTarget
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service.app import create_app
from service.pipeline import Pipeline
from service.sources import SourceLibrary
from service.support import SupportJudge
from tests.conftest import CORPUS, REPO, citeline, cli_env, make_settings, serve


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory: pytest.TempPathFactory, pipeline: Pipeline, embedder: MiniLMEmbedding):  # noqa: ANN201
    out = tmp_path_factory.mktemp("reports")
    settings = pipeline.settings
    results, summary = run.evaluate(
        load_set(DEFAULT_SET),
        [InProcessTarget(pipeline), PeerTarget(settings.store.corpus_dir, embedder)],
        SourceLibrary(settings.store.corpus_dir),
        SupportJudge(embedder),
        str(DEFAULT_SET),
        "in-process",
        gate.load_thresholds(),
        gate.load_baseline(),
        out,
        progress=False,
    )
    return results, summary, out / summary.run


def test_quality_gate_on_the_golden_set(golden_run) -> None:  # noqa: ANN001
    _, summary, _ = golden_run
    ours = summary.systems["citeline"]
    print(json.dumps({"citeline": ours, "peer": summary.systems["peer"]}, indent=1))
    assert summary.gate.passed, summary.gate.failures
    assert ours["citation_validity"] == 1.0 and ours["markers_resolved"] == 1.0


def test_a_run_writes_its_reports_and_recomputes_without_models(golden_run) -> None:  # noqa: ANN001
    results, summary, run_dir = golden_run
    for name in ("results.json", "summary.json", "report.md", "report.html"):
        assert (run_dir / name).stat().st_size > 0
    assert len(results.systems["citeline"]) == len(load_set(DEFAULT_SET)) >= 40
    html = (run_dir / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "http" not in html.split("<body>")[0]  # self-contained
    _, again = run.recompute(run_dir, gate.load_thresholds(), gate.load_baseline())
    assert again.systems == summary.systems


def small_set(tmp_path: Path, n: int = 6) -> Path:
    lines = DEFAULT_SET.read_text(encoding="utf-8").splitlines()
    picked = [line for line in lines if '"history": []' in line][:n]
    path = tmp_path / "small.jsonl"
    path.write_text("\n".join(picked) + "\n", encoding="utf-8")
    return path


def test_url_mode_against_a_running_server(
    server: str, pipeline: Pipeline, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    records = load_set(small_set(tmp_path))
    library, judge = SourceLibrary(pipeline.settings.store.corpus_dir), SupportJudge(embedder)
    args = (library, judge, "small", "x", gate.Thresholds(), {}, tmp_path, False)
    over_http, _ = run.evaluate(records, [HttpTarget(server)], *args)
    in_process, _ = run.evaluate(records, [InProcessTarget(pipeline)], *args)
    http_answers = [q.response["answer"] for q in over_http.systems["citeline"]]
    assert http_answers == [q.response["answer"] for q in in_process.systems["citeline"]]
    assert [q.judgment.correct for q in over_http.systems["citeline"]] == [
        q.judgment.correct for q in in_process.systems["citeline"]
    ]


def test_cli_eval_exit_status_and_bad_set(ingested: Settings, tmp_path: Path) -> None:
    env = cli_env(ingested)
    cli = ["eval", "--quiet", "--no-peer", "--out", str(tmp_path)]
    ok = citeline(env, *cli, "--set", str(small_set(tmp_path)), "--no-gate")
    assert ok.returncode == 0, ok.stderr
    assert "citation_validity" in ok.stdout and "report.html" in ok.stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x"}\n', encoding="utf-8")
    bad = citeline(env, *cli, "--set", str(broken))
    assert bad.returncode == 1 and "broken.jsonl:1" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    ("golden", "corpus", "floor"),
    [
        # Articles in every format with dates; its time-constrained questions are most of it.
        ("news.jsonl", REPO / "eval" / "corpus" / "news", 0.8),
        ("seeds-time.jsonl", CORPUS, 0.8),
    ],
)
def test_articles_and_time_sets(
    golden: str, corpus: Path, floor: float, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, corpus)
    path = DEFAULT_SET.parent / golden
    _, summary = run.evaluate_configured(settings, path, None, False, tmp_path / "reports", False)
    ours = summary.systems["citeline"]
    print(golden, json.dumps(ours, indent=1), json.dumps(summary.by_kind["citeline"], indent=1))
    assert ours["citation_validity"] == 1.0 and ours["markers_resolved"] == 1.0
    assert ours["unanswerable_refused"] == 1.0, "a period without articles, a false premise: refused"
    assert ours["time_accuracy"] >= floor and ours["accuracy"] >= floor and ours["no_wrong_citation"] >= floor - 0.2


def test_url_mode_checks_citations_into_normalised_articles(embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    """Against a running service, a citation into a web page or a JSON record is checked against
    the normalised text the service serves, as in-process runs check it against the index."""
    settings = make_settings(tmp_path, REPO / "eval" / "corpus" / "news")
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    path = DEFAULT_SET.parent / "news.jsonl"
    with serve(create_app(Pipeline(settings, UnitStore(settings), embedder))) as url:
        _, summary = run.evaluate_configured(settings, path, url, False, tmp_path / "reports", False)
    ours = summary.systems["citeline"]
    assert ours["citation_validity"] == 1.0 and ours["gold_citation_recall"] >= 0.7
