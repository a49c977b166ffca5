"""`citeline ingest | serve | ask | eval | local-model`: each package registers its own commands."""

import argparse
import logging
import sys

import eval.cli
import ingest.cli
import service.cli
from ingest.cli import EXIT_ERROR, settings_for
from ingest.lock import DataDirUnusable, StoreBusy, claim
from ingest.settings import InvalidSettings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="citeline", description="Question answering with verified citations.")
    sub = parser.add_subparsers(dest="command", required=True)
    for package in (ingest.cli, service.cli, eval.cli):
        package.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        access = args.store_access(args)
        if access:
            claim(settings_for(args), write=access == "write")
        return args.func(args)
    except (StoreBusy, DataDirUnusable) as exc:
        print(f"citeline {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except InvalidSettings as exc:
        print(f"citeline: invalid configuration: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
