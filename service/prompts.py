"""Prompts and fixed sentences are data in `prompts/`; this is the only code that reads them."""

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@cache
def load(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def cannot_answer() -> str:
    """The fixed sentence every refusal starts with, so clients can recognise one."""
    return load("cannot_answer")
