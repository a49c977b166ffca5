"""The `citeline eval` command: run a golden set and gate on it, or export readers' feedback."""

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from eval.golden import DEFAULT_SET
from eval.report import REPORTS_DIR
from ingest.cli import EXIT_ERROR, EXIT_OK, settings_for
from ingest.settings import Settings


def cmd_eval(args: argparse.Namespace) -> int:
    from eval import gate, report, run
    from eval.golden import GoldenSetError
    from ingest.job import CorpusMissing
    from ingest.store import StoreUnavailable
    from service.llm import LLMUnavailable

    settings = settings_for(args)
    if args.since and not args.from_feedback:
        print("citeline eval: --since goes with --from-feedback", file=sys.stderr)
        return EXIT_ERROR
    if args.from_feedback:
        return export_feedback(settings, args.since, Path(args.out) if args.out else None)
    out = Path(args.out) if args.out else report.REPORTS_DIR
    try:
        if args.recompute:
            _, summary = run.recompute(Path(args.recompute), gate.load_thresholds(), gate.load_baseline())
            run_dir = Path(args.recompute)
        else:
            _, summary = run.evaluate_configured(
                settings,
                Path(args.set),
                args.url,
                not args.no_peer,
                out,
                progress=not args.quiet,
                answerers=args.answerer,
                with_llm_judge=args.llm_judge,
                with_drafts=args.drafts,
            )
            run_dir = out / summary.run
    except (GoldenSetError, CorpusMissing, StoreUnavailable, LLMUnavailable, RuntimeError, OSError) as exc:
        print(f"citeline eval: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(report.terminal(summary))
    print(f"report: {run_dir / 'report.html'}")
    if args.update_baseline:
        gate.BASELINE.parent.mkdir(parents=True, exist_ok=True)
        gate.BASELINE.write_text((run_dir / "summary.json").read_text(encoding="utf-8"), encoding="utf-8")
        print(f"baseline updated: {gate.BASELINE}")
    return EXIT_OK if summary.gate.passed or args.no_gate else EXIT_ERROR


def export_feedback(settings: Settings, since: date | None, out: Path | None) -> int:
    """`citeline eval --from-feedback`: readers' not-helpful answers as draft golden records."""
    from eval.feedback import drafts, jsonl
    from service.conversations import ConversationStoreError

    try:
        records = drafts(settings, since)
        if out:
            out.write_text(jsonl(records), encoding="utf-8")
        else:
            sys.stdout.write(jsonl(records))
    except (ConversationStoreError, OSError) as exc:
        print(f"citeline eval: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(
        f"{len(records)} draft(s) from readers' feedback{f' since {since}' if since else ''}"
        f"{f' written to {out}' if out else ''}: review them before use (eval/README.md, Readers' feedback)",
        file=sys.stderr,
    )
    return EXIT_OK


def day(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a day as YYYY-MM-DD, not {value!r}") from None


def answerers(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names or any(n not in ("extractive", "llm") for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"expected extractive, llm or both (comma-separated), not {value!r}")
    return names


def store_access(args: argparse.Namespace) -> str | None:
    """An in-process run ingests its corpus (a writer); a run against a URL or from stored files reads nothing."""
    return None if args.url or args.recompute or args.from_feedback else "write"


def register(sub: argparse._SubParsersAction) -> None:
    evaluate = sub.add_parser("eval", help="run the golden question set and gate on quality")
    evaluate.add_argument("--set", default=str(DEFAULT_SET), help="golden set (.jsonl), default eval/golden/core.jsonl")
    evaluate.add_argument("--url", help="evaluate a running service at this URL instead of in-process")
    evaluate.add_argument("--no-peer", action="store_true", help="skip the naive LlamaIndex peer")
    evaluate.add_argument(
        "--answerer",
        type=answerers,
        default=["extractive"],
        metavar="extractive[,llm]",
        help="answerers to compare side by side; the first is the gated 'citeline' row",
    )
    evaluate.add_argument("--llm-judge", action="store_true", help="also judge support with the configured LLM")
    evaluate.add_argument(
        "--out",
        help=f"folder for <run>/ reports (default {REPORTS_DIR}); with --from-feedback, the .jsonl file to write "
        "(default: standard output)",
    )
    evaluate.add_argument("--recompute", metavar="RUN_DIR", help="recount metrics from a run's stored judgments")
    evaluate.add_argument("--no-gate", action="store_true", help="exit 0 even when a threshold is missed")
    evaluate.add_argument("--update-baseline", action="store_true", help="make this run the committed baseline")
    evaluate.add_argument("--quiet", action="store_true", help="no progress bars")
    evaluate.add_argument(
        "--drafts", action="store_true", help="replay the set's unreviewed feedback drafts unscored, not refuse it"
    )
    evaluate.add_argument(
        "--from-feedback",
        action="store_true",
        help="export answers readers found not helpful as draft golden records (JSONL), instead of a run",
    )
    evaluate.add_argument(
        "--since", type=day, metavar="YYYY-MM-DD", help="with --from-feedback: verdicts from this day on (UTC)"
    )
    evaluate.add_argument("--corpus", help="corpus folder (default: CITELINE_CORPUS_DIR or ./corpus)")
    evaluate.set_defaults(func=cmd_eval, store_access=store_access)
