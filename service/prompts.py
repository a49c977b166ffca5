"""Prompts and fixed sentences are data in `prompts/`; this is the only code that reads them."""

import re
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def cannot_answer() -> str:
    """The fixed sentence every refusal starts with, so clients can recognise one."""
    return load("cannot_answer")


def render(name: str, **values: str) -> str:
    """A prompt with its {placeholders} filled; values are inserted as they are."""
    # One pass, so text inside a value (a source saying "{question}") is never substituted.
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), load(name))
