"""The `citeline` command: ingest, serve, ask."""

import argparse
import json
import logging
import sys
from datetime import date, datetime
from pathlib import Path

from pydantic import ValidationError

from ingest.lock import StoreBusy, claim
from ingest.settings import Settings, get_settings

EXIT_OK, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 3


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    if getattr(args, "corpus", None):
        settings = settings.model_copy(update={"corpus_dir": Path(args.corpus)})
    return settings


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.embedder import MiniLMEmbedding
    from ingest.job import CorpusMissing, run_ingest
    from ingest.store import StoreUnavailable, UnitStore

    settings = _settings(args)
    try:
        store = UnitStore(settings)
        report = run_ingest(
            settings,
            store,
            lambda: MiniLMEmbedding(threads=settings.embed_threads, embed_batch_size=settings.embed_batch_size),
            progress=not args.quiet,
        )
    except (CorpusMissing, StoreUnavailable) as exc:
        print(f"citeline ingest: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for skipped in report.skipped:
        print(f"skipped {skipped.reason}", file=sys.stderr)
    if report.changed:
        print(
            f"ingested {settings.corpus_dir}: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.deleted)} deleted, {report.unchanged} unchanged; "
            f"{report.units_written} units embedded, {report.units_total} in the index ({report.seconds:.1f} s)"
        )
    else:
        print(
            f"no changes in {settings.corpus_dir}: nothing embedded "
            f"({report.unchanged} files unchanged, {report.units_total} units in the index)"
        )
    return EXIT_SKIPPED if report.skipped else EXIT_OK


def _pipeline(settings: Settings):  # noqa: ANN202 - imported lazily to keep `--help` fast
    from service.pipeline import Pipeline

    return Pipeline.load(settings)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from limits.errors import ConfigurationError

    from ingest.store import StoreUnavailable
    from service.app import create_app
    from service.conversations import ConversationStoreError
    from service.observability import json_logging

    settings = _settings(args)
    try:
        pipeline = _pipeline(settings)
    except (StoreUnavailable, ConversationStoreError) as exc:
        print(f"citeline serve: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if not len(pipeline.index):
        print("citeline serve: the index is empty; run `citeline ingest` first", file=sys.stderr)
    try:
        app = create_app(pipeline)
    except ConfigurationError as exc:  # an unknown scheme, or its client library is not installed
        print(f"citeline serve: CITELINE_RATE_LIMIT_STORAGE: {exc}", file=sys.stderr)
        return EXIT_ERROR
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"citeline: {len(pipeline.index)} units; serving on http://{host}:{port} (API docs at /docs)")
    logging_options = {}
    if settings.log_format == "json":
        json_logging()
        logging_options["log_config"] = None  # keep our JSON handler instead of uvicorn's
    # uvicorn rewrites the client address from X-Forwarded-For for the peers it trusts, 127.0.0.1
    # unless told otherwise; it must trust exactly the proxies the Guard trusts, or none.
    proxies = [str(network) for network in settings.trusted_proxies]
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        **logging_options,
    )
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    from ingest.store import StoreUnavailable
    from service.conversations import ConversationStoreError
    from service.pipeline import InvalidQuestion
    from service.retrieve import IndexEmpty
    from service.schemas import AskRequest, describe_errors

    settings = _settings(args)
    try:
        request = AskRequest(question=args.question, top_k=args.top_k)
    except ValidationError as exc:
        print(f"citeline ask: {describe_errors(exc.errors())}", file=sys.stderr)
        return EXIT_ERROR
    try:
        response = _pipeline(settings).ask(request)
    except (InvalidQuestion, IndexEmpty, StoreUnavailable, ConversationStoreError) as exc:
        print(f"citeline ask: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(response.model_dump(), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(response.answer)
    for c in response.citations:
        lines = f"{c.line_start}" if c.line_start == c.line_end else f"{c.line_start}-{c.line_end}"
        print(f'  [{c.id}] {c.source}:{lines}  "{c.quote}"')
    return EXIT_OK


def cmd_eval(args: argparse.Namespace) -> int:
    from eval import gate, report, run
    from eval.golden import GoldenSetError
    from ingest.job import CorpusMissing
    from ingest.store import StoreUnavailable
    from service.llm import LLMUnavailable

    settings = _settings(args)
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
        records = drafts(settings.conversations_path, since)
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


def top_k(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if not 1 <= number <= 50:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 50, not {value!r}")
    return number


def cmd_local_model(args: argparse.Namespace) -> int:
    from service.local_model import LocalModelMissing, assemble

    settings = _settings(args)
    try:
        path = assemble(settings.local_model_path)
    except (LocalModelMissing, OSError) as exc:
        print(f"citeline local-model: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"local model ready: {path}\nuse it with CITELINE_ANSWERER=llm CITELINE_LLM_PRESET=local")
    return EXIT_OK


def answerers(value: str) -> list[str]:
    names = [v.strip() for v in value.split(",") if v.strip()]
    if not names or any(n not in ("extractive", "llm") for n in names) or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"expected extractive, llm or both (comma-separated), not {value!r}")
    return names


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citeline", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    ingest = sub.add_parser("ingest", help="ingest the corpus folder into Chroma (incremental)")
    ingest.add_argument("--corpus", help="corpus folder (default: CITELINE_CORPUS_DIR or ./corpus)")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.set_defaults(func=cmd_ingest)

    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="default: CITELINE_HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, help="default: CITELINE_PORT or 8000")
    serve.add_argument("--corpus", help="corpus folder the citations point into")
    serve.set_defaults(func=cmd_serve)

    ask = sub.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")
    ask.add_argument("--top-k", type=top_k, metavar="1..50", help="units retrieved")
    ask.add_argument("--corpus", help="corpus folder the citations point into")
    ask.set_defaults(func=cmd_ask)
    local = sub.add_parser("local-model", help="assemble and check the local preset's GGUF (make local-llm)")
    local.set_defaults(func=cmd_local_model)

    from eval.golden import DEFAULT_SET
    from eval.report import REPORTS_DIR

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
    evaluate.set_defaults(func=cmd_eval)
    return parser


def claim_store(args: argparse.Namespace) -> None:
    """Writers of the embedded store run alone; readers may share it (see ingest/lock.py)."""
    writes = args.command == "ingest" or (
        args.command == "eval" and not (args.url or args.recompute or args.from_feedback)
    )
    if writes or args.command in ("serve", "ask"):
        claim(_settings(args), write=writes)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        claim_store(args)
        return args.func(args)
    except StoreBusy as exc:
        print(f"citeline {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ValidationError as exc:  # CITELINE_* settings that do not parse
        problems = "; ".join(f"CITELINE_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        print(f"citeline: invalid configuration: {problems}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
