"""An eval run: ask every golden question, judge each answer, count, gate, report."""

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel
from tqdm import tqdm

from eval import gate, metrics, report
from eval.golden import GoldenRecord, GoldenSetError, load_set
from eval.judges import Judgment, judge
from eval.llm_judge import LLMJudge
from eval.peer import PeerTarget
from eval.targets import HttpTarget, InProcessTarget, Target
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from service.llm import make_llm
from service.pipeline import Pipeline
from service.sources import SourceLibrary
from service.support import SupportJudge


class QuestionResult(BaseModel):
    record: GoldenRecord
    response: dict
    latency_ms: float
    judgment: Judgment


class Results(BaseModel):
    run: str
    created: str
    set: str
    target: str
    k: int
    peer_ingest_seconds: float | None = None
    systems: dict[str, list[QuestionResult]]


class Summary(BaseModel):
    run: str
    created: str
    set: str
    target: str
    questions: int
    drafts: int = 0  # unreviewed drafts among the questions: asked and reported, not scored
    systems: dict[str, dict]
    by_kind: dict[str, dict] = {}  # system -> kind -> questions, accuracy
    baseline_delta: dict
    gate: gate.GateResult


def ask_all(target: Target, records: list[GoldenRecord], progress: bool) -> list[tuple]:
    answers = []
    for record in tqdm(records, desc=f"asking ({target.name})", unit="q", disable=not progress):
        conversation = None
        for earlier in record.history:  # replay the conversation up to the follow-up
            conversation = target.ask(earlier, conversation).response.get("conversation_id") or None
        answers.append((record, target.ask(record.question, conversation, record.restrictions)))
    return answers


def judge_all(
    answers: list[tuple], library: SourceLibrary, support: SupportJudge, llm_judge: LLMJudge | None = None
) -> list[QuestionResult]:
    return [
        QuestionResult(
            record=record,
            response=a.response,
            latency_ms=a.latency_ms,
            judgment=judge(record, a.response, library, support, llm_judge),
        )
        for record, a in answers
    ]


def summarize(results: Results, thresholds: gate.Thresholds, baseline: dict) -> Summary:
    # A draft has no gold yet: scored, it would count as a refusal that nobody chose.
    scored = {
        name: [
            metrics.Scored(record=q.record, judgment=q.judgment, latency_ms=q.latency_ms)
            for q in items
            if not q.record.draft
        ]
        for name, items in results.systems.items()
    }
    systems = {name: metrics.summarize(items, results.k) for name, items in scored.items()}
    ours = systems["citeline"]
    return Summary(
        run=results.run,
        created=results.created,
        set=results.set,
        target=results.target,
        questions=len(results.systems["citeline"]),
        drafts=sum(q.record.draft for q in results.systems["citeline"]),
        systems=systems,
        by_kind={name: metrics.by_kind(items) for name, items in scored.items()},
        baseline_delta=gate.deltas(ours, baseline),
        gate=gate.check(ours, systems.get("peer"), thresholds),
    )


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def evaluate(
    records: list[GoldenRecord],
    targets: list[Target],
    library: SourceLibrary,
    support: SupportJudge,
    set_name: str,
    target_name: str,
    thresholds: gate.Thresholds,
    baseline: dict,
    out_dir: Path,
    progress: bool = True,
    peer_ingest_seconds: float | None = None,
    llm_judge: LLMJudge | None = None,
) -> tuple[Results, Summary]:
    run = new_run_id()
    systems = {t.name: judge_all(ask_all(t, records, progress), library, support, llm_judge) for t in targets}
    results = Results(
        run=run,
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        set=set_name,
        target=target_name,
        k=thresholds.k,
        peer_ingest_seconds=peer_ingest_seconds,
        systems=systems,
    )
    summary = summarize(results, thresholds, baseline)
    write(results, summary, out_dir / run)
    return results, summary


def recompute(run_dir: Path, thresholds: gate.Thresholds, baseline: dict) -> tuple[Results, Summary]:
    """Metrics again from stored judgments: no question is asked, no model runs."""
    results = Results.model_validate_json((run_dir / "results.json").read_text(encoding="utf-8"))
    summary = summarize(results, thresholds, baseline)
    write(results, summary, run_dir)
    return results, summary


def write(results: Results, summary: Summary, run_dir: Path) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "results.json").write_text(results.model_dump_json(indent=1), encoding="utf-8")
    (run_dir / "summary.json").write_text(json.dumps(summary.model_dump(), indent=2), encoding="utf-8")
    (run_dir / "report.md").write_text(report.markdown(results, summary), encoding="utf-8")
    (run_dir / "report.html").write_text(report.html(results, summary), encoding="utf-8")


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def evaluate_configured(
    settings: Settings,
    set_path: Path,
    url: str | None,
    with_peer: bool,
    out_dir: Path,
    progress: bool,
    answerers: list[str] = ("extractive",),  # type: ignore[assignment]
    with_llm_judge: bool = False,
    with_drafts: bool = False,
) -> tuple[Results, Summary]:
    """`citeline eval`: our pipeline (in-process with each answerer, after an incremental ingest,
    or a running service at `url`) and, unless told otherwise, the peer, over the same
    questions. The first answerer's row is "citeline", the one the gate checks. A set holding
    unreviewed drafts is refused unless `with_drafts`: then they are asked but not scored."""
    records = load_set(set_path)
    drafts = [r.id for r in records if r.draft]
    if drafts and not with_drafts:
        named = ", ".join(drafts[:3]) + (", …" if len(drafts) > 3 else "")
        raise GoldenSetError(
            f"{set_path}: {len(drafts)} unreviewed draft(s) from readers' feedback ({named}): review them first "
            '(eval/README.md, "Readers\' feedback"), or pass --drafts to replay them without scoring'
        )
    embedder = MiniLMEmbedding.configured(settings.store)
    targets: list[Target]
    if url:
        service = HttpTarget(url)
        targets, target_name = [service], url
        library = SourceLibrary(settings.store.corpus_dir, normalised=service.article_text)
    else:
        store = UnitStore(settings)
        run_ingest(settings, store, lambda: embedder, progress=False)
        scratch = Path(tempfile.mkdtemp(prefix="citeline-eval-"))  # eval conversations stay out of the user's
        targets, target_name = [], "in-process"
        for n, answerer in enumerate(answerers):
            config = settings.updated(answerer=answerer, conversations_db=scratch / f"{answerer}.db")
            name = "citeline" if n == 0 else f"citeline-{answerer}"
            pipeline = Pipeline(config, store, embedder)
            targets.append(InProcessTarget(pipeline, name=name))
            # Judged against what citations point into: the corpus files and normalised copies.
            library = pipeline.library
    peer_seconds = None
    if with_peer:
        peer = PeerTarget(settings.store.corpus_dir, embedder)
        targets.append(peer)
        peer_seconds = round(peer.ingest_seconds, 3)
    return evaluate(
        records,
        targets,
        library,
        SupportJudge(embedder),
        _display(set_path),
        target_name,
        gate.load_thresholds(),
        gate.load_baseline(),
        out_dir,
        progress,
        peer_seconds,
        LLMJudge(make_llm(settings)) if with_llm_judge else None,
    )
