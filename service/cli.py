"""The `citeline serve`, `ask` and `local-model` commands."""

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from ingest.cli import EXIT_ERROR, EXIT_OK, settings_for
from ingest.settings import Settings, preset


def _pipeline(settings: Settings, serving: bool = False):  # noqa: ANN202 - imported lazily to keep `--help` fast
    from service.pipeline import Pipeline

    return Pipeline.load(settings, serving)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if not _corpus_found(settings, "serve"):
        return EXIT_ERROR
    host = args.host or settings.http.host
    port = args.port or settings.http.port
    workers = args.workers or settings.http.workers
    if workers > 1:
        return _serve_workers(settings, host, port, workers)
    import uvicorn
    from limits.errors import ConfigurationError

    from ingest.store import StoreUnavailable
    from service.app import create_app
    from service.conversations import ConversationStoreError

    try:
        pipeline = _pipeline(settings, serving=True)
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
    print(f"citeline: {len(pipeline.index)} units; serving on http://{host}:{port} (API docs at /docs)")
    # uvicorn rewrites the client address from X-Forwarded-For for the peers it trusts, 127.0.0.1
    # unless told otherwise; it must trust exactly the proxies the Guard trusts, or none.
    proxies = [str(network) for network in settings.http.trusted_proxies]
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
        **_logging(settings),
    )
    return EXIT_OK


def _logging(settings: Settings) -> dict[str, object]:
    from service.observability import json_logging

    if settings.http.log_format != "json":
        return {}
    json_logging()
    return {"log_config": None}  # keep our JSON handler instead of uvicorn's


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> int:
    import shutil

    from ingest import index_dir
    from service import workers as prefork

    # Workers open the store after the fork; what can be checked without opening it is checked here.
    root = settings.store.index_path
    if index_dir.current(root) is None:
        print(f"citeline serve: no index in {root}: run `citeline ingest` first", file=sys.stderr)
        return EXIT_ERROR
    metrics = prefork.prepare_metrics_dir()
    try:
        print(f"citeline: {workers} workers; serving on http://{host}:{port} (API docs at /docs)", flush=True)
        prefork.run(settings, host, port, workers)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)
    return EXIT_OK


def cmd_ask(args: argparse.Namespace) -> int:
    from ingest.store import StoreUnavailable
    from service.conversations import ConversationStoreError
    from service.pipeline import InvalidQuestion, UnknownSources
    from service.retrieve import IndexEmpty
    from service.schemas import AskRequest, describe_errors

    settings = settings_for(args)
    if not _corpus_found(settings, "ask"):
        return EXIT_ERROR
    try:
        request = AskRequest(
            question=args.question,
            top_k=args.top_k,
            since=args.since,
            until=args.until,
            as_of=args.as_of,
            sources=args.source,
        )
    except ValidationError as exc:
        print(f"citeline ask: {describe_errors(exc.errors())}", file=sys.stderr)
        return EXIT_ERROR
    try:
        response = _pipeline(settings).ask(request)
    except (InvalidQuestion, UnknownSources, IndexEmpty, StoreUnavailable, ConversationStoreError) as exc:
        print(f"citeline ask: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(response.answer)
    if response.time_range:
        applied = response.time_range
        print(f"  (published {applied.since or '…'} to {applied.until or '…'}, as of {applied.as_of})")
    for c in response.citations:
        lines = f"{c.line_start}" if c.line_start == c.line_end else f"{c.line_start}-{c.line_end}"
        dated = f" ({c.published[:10]})" if c.published else ""
        print(f'  [{c.id}] {c.source}:{lines}{dated}  "{c.quote}"')
    return EXIT_OK


def _corpus_found(settings: Settings, command: str) -> bool:
    """Whether the corpus folder is there: without it no citation can be verified, and every
    answer would be a refusal that blames the index."""
    if settings.store.corpus_dir.is_dir():
        return True
    print(f"citeline {command}: corpus folder not found: {settings.store.corpus_dir}", file=sys.stderr)
    return False


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from `low` to `high`, else a clear usage error."""

    def parse(value: str) -> int:
        number = int(value) if value.isdigit() else 0
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}, not {value!r}")
        return number

    return parse


def iso_date(value: str) -> date:
    """An argparse type: an ISO date, else a clear usage error."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date as YYYY-MM-DD, not {value!r}") from None


def cmd_local_model(args: argparse.Namespace) -> int:
    from service.local_model import LocalModelMissing, assemble

    settings = settings_for(args)
    if settings.llm_model_path is None:  # none chosen: where the local preset looks for it
        settings = settings.updated(llm_model_file=Path(preset("local")["CITELINE_LLM_MODEL_FILE"]))
    try:
        path = assemble(settings.llm_model_path)
    except (LocalModelMissing, OSError) as exc:
        print(f"citeline local-model: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"local model ready: {path}\nuse it with CITELINE_PRESET=local")
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    # Services and one-off questions read the embedded store; they may share it (see ingest/lock.py).
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", help="default: CITELINE_HOST or 127.0.0.1")
    serve.add_argument("--port", type=whole_number(1, 65535), metavar="1..65535", help="default: CITELINE_PORT or 8000")
    serve.add_argument(
        "--workers", type=whole_number(1, 64), metavar="1..64", help="processes (default: CITELINE_WORKERS or 1)"
    )
    serve.add_argument("--corpus", help="corpus folder the citations point into")
    serve.set_defaults(func=cmd_serve, store_access=lambda args: "read")

    ask = sub.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the API's JSON response")
    ask.add_argument("--top-k", type=whole_number(1, 50), metavar="1..50", help="units retrieved")
    ask.add_argument("--since", type=iso_date, metavar="YYYY-MM-DD", help="only articles published on or after")
    ask.add_argument("--until", type=iso_date, metavar="YYYY-MM-DD", help="only articles published on or before")
    ask.add_argument("--as-of", type=iso_date, metavar="YYYY-MM-DD", help='what "last week" is relative to')
    ask.add_argument("--source", action="append", help="only this article (repeatable)")
    ask.add_argument("--corpus", help="corpus folder the citations point into")
    ask.set_defaults(func=cmd_ask, store_access=lambda args: "read")

    local = sub.add_parser("local-model", help="assemble and check the local preset's GGUF (make local-llm)")
    local.set_defaults(func=cmd_local_model, store_access=lambda args: None)
