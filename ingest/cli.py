"""The `citeline ingest` command, and what every `citeline` command shares (exit codes, --corpus)."""

import argparse
import sys
from pathlib import Path

from ingest.settings import Settings, get_settings

EXIT_OK, EXIT_ERROR, EXIT_SKIPPED = 0, 1, 3


def settings_for(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    if getattr(args, "corpus", None):
        settings = settings.updated(corpus_dir=Path(args.corpus))
    return settings


def cmd_ingest(args: argparse.Namespace) -> int:
    from ingest.embedder import MiniLMEmbedding
    from ingest.job import CorpusMissing, run_ingest
    from ingest.store import StoreUnavailable, UnitStore

    settings = settings_for(args)
    feeds = list(dict.fromkeys([*settings.store.feeds, *(args.feed or [])]))
    feeds_failed = False
    if feeds:
        from ingest.feeds import fetch_feeds

        try:
            feed_report = fetch_feeds(settings, feeds, progress=not args.quiet)
        except OSError as exc:
            print(f"citeline ingest: cannot store feed items: {exc}", file=sys.stderr)
            return EXIT_ERROR
        for result in feed_report.feeds:
            print(result.summary, file=sys.stderr)
            for reason in result.skipped:
                print(f"skipped {reason}", file=sys.stderr)
        feeds_failed = feed_report.failed
    try:
        store = UnitStore(settings)
        report = run_ingest(
            settings,
            store,
            lambda: MiniLMEmbedding.configured(settings.store),
            progress=not args.quiet,
        )
    except (CorpusMissing, StoreUnavailable) as exc:
        print(f"citeline ingest: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for skipped in report.skipped:
        print(f"skipped {skipped.reason}", file=sys.stderr)
    if report.changed:
        resumed = f" ({report.units_resumed} more kept from an interrupted run)" if report.units_resumed else ""
        print(
            f"ingested {settings.store.corpus_dir}: {len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.deleted)} deleted, {report.unchanged} unchanged; "
            f"{report.units_written} units embedded{resumed}, {report.units_total} in the index "
            f"({report.seconds:.1f} s)"
        )
    else:
        print(
            f"no changes in {settings.store.corpus_dir}: nothing embedded "
            f"({report.unchanged} files unchanged, {report.units_total} units in the index)"
        )
    return EXIT_SKIPPED if report.skipped or feeds_failed else EXIT_OK


def feed_url(value: str) -> str:
    """A --feed argument: an absolute http(s) URL (argparse says so and exits 2 otherwise)."""
    from ingest.article_meta import clean_url

    url = clean_url(value)
    if url is None:
        raise argparse.ArgumentTypeError(f"not an http(s) URL: {value!r}")
    return url


def register(sub: argparse._SubParsersAction) -> None:
    ingest = sub.add_parser("ingest", help="ingest the corpus folder into Chroma (incremental)")
    ingest.add_argument("--corpus", help="corpus folder (default: CITELINE_CORPUS_DIR or ./corpus)")
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--feed",
        action="append",
        type=feed_url,
        metavar="URL",
        help="RSS/Atom feed whose new items are fetched first (repeatable; also CITELINE_FEEDS)",
    )
    # The one writer of the embedded store (see ingest/lock.py).
    ingest.set_defaults(func=cmd_ingest, store_access=lambda args: "write")
