"""Prompts and fixed sentences are data in `prompts/`; this is the only code that reads them."""

import re
import secrets
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def cannot_answer() -> str:
    """The fixed sentence every refusal starts with, so clients can recognise one."""
    return load("cannot_answer")


def fence_for(values: list[str]) -> str:
    """A random code that none of the values contains. Prompts fence untrusted text (articles,
    answers quoting them) between markers carrying it, so that text can neither close the
    fence early nor forge one."""
    while True:
        fence = secrets.token_hex(8)
        if not any(fence in value for value in values):
            return fence


def render(name: str, **values: str) -> str:
    """A prompt with its {placeholders} filled; values are inserted as they are. `{fence}` is a
    fresh code for this prompt's fence markers (see fence_for)."""
    values = {"fence": fence_for(list(values.values())), **values}
    # One pass, so text inside a value (a source saying "{question}") is never substituted.
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), load(name))
