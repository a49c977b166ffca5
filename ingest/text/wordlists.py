"""The word lists in `words/`, each loaded once, and the regular expressions built from them.

A list lives in one file so that every rule using it agrees; a `#` line is a comment.
"""

import re
from functools import cache
from pathlib import Path

WORDS = Path(__file__).resolve().parent / "words"


@cache
def load(name: str) -> tuple[str, ...]:
    """The entries of `words/<name>.txt`, in file order."""
    lines = (WORDS / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@cache
def table(name: str) -> tuple[tuple[str, ...], ...]:
    """The rows of `words/<name>.tsv`, each a tuple of its tab-separated columns."""
    lines = (WORDS / f"{name}.tsv").read_text(encoding="utf-8").splitlines()
    return tuple(tuple(line.split("\t")) for line in lines if line.strip() and not line.startswith("#"))


def alternation(entries: tuple[str, ...] | list[str]) -> str:
    """A regex alternation of the entries, longest first, any white space between their words."""
    ordered = sorted(entries, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(word) for word in entry.split()) for entry in ordered)


def speech_forms(use: str) -> tuple[str, ...]:
    """The forms of the verbs of saying marked for `use` (see words/speech_verbs.tsv)."""
    return tuple(form for _, forms, uses in table("speech_verbs") if use in uses.split(",") for form in _split(forms))


def forms_of(lemma: str) -> tuple[str, ...]:
    return next(tuple(_split(forms)) for name, forms, _ in table("speech_verbs") if name == lemma)


def speech_lemmas(use: str) -> tuple[str, ...]:
    return tuple(lemma for lemma, _, uses in table("speech_verbs") if use in uses.split(","))


def _split(forms: str) -> list[str]:
    return [f.strip() for f in forms.split(",") if f.strip()]
