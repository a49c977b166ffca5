"""Synthetic corpora for the scale curve: n articles made of BBC headlines and paragraphs.

`synthetic_corpus(n)` is <WORK>/synthetic-<n>/: article k is a BBC headline (line 1), a blank
line, then a number of paragraphs drawn from the BBC articles' own distribution of paragraph
counts, each paragraph drawn from all BBC paragraphs, separated by blank lines as the BBC files
are. One seeded random stream writes the articles in order, so a larger corpus starts with the
articles of a smaller one. Files sit in sub-folders of FOLDER_FILES. Built once and reused: a
corpus is written beside its final name and renamed into place when complete.

The text is real news prose, so units split, attribute speakers and index as BBC units do, but
each paragraph recurs (about n * 4.8 / 10,600 times): the vocabulary, names and speakers stop
growing at the BBC's, where a real corpus of n articles would keep adding some.
"""

import json
import random
import shutil
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.paths import WORK
from benchmarks.workload import bbc_corpus

SEED = 14  # issue #14
FOLDER_FILES = 1000
# Hidden: ingest reads .json files as articles and skips hidden ones.
MANIFEST = ".synthetic.json"


@dataclass(frozen=True)
class Sample:
    """What the synthetic articles are drawn from."""

    headlines: list[str]
    paragraphs: list[str]
    paragraph_counts: list[int]  # one per BBC article: how many paragraphs it has


def bbc_sample(corpus: Path | None = None) -> Sample:
    """Headlines, paragraphs and paragraph counts of every BBC article ingest can read (UTF-8)."""
    root = (corpus or bbc_corpus()) / "bbc"
    headlines: list[str] = []
    paragraphs: list[str] = []
    counts: list[int] = []
    for path in sorted(root.rglob("*.txt")):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:  # ingest skips it too
            continue
        body = [line.strip() for line in lines[1:] if line.strip()]
        if not lines or not lines[0].strip() or not body:
            continue
        headlines.append(lines[0].strip())
        paragraphs.extend(body)
        counts.append(len(body))
    return Sample(headlines, paragraphs, counts)


def article_text(rng: random.Random, sample: Sample) -> str:
    paragraphs = [rng.choice(sample.paragraphs) for _ in range(rng.choice(sample.paragraph_counts))]
    return rng.choice(sample.headlines) + "\n\n" + "\n\n".join(paragraphs) + "\n"


def article_path(k: int) -> str:
    """Article k's path inside the corpus: sub-folders of FOLDER_FILES files."""
    return f"{k // FOLDER_FILES:04d}/a{k:07d}.txt"


def synthetic_corpus(n: int) -> Path:
    """<WORK>/synthetic-<n>, built on first use."""
    target = WORK / f"synthetic-{n}"
    if (target / MANIFEST).is_file():
        return target
    sample = bbc_sample()
    scratch = WORK / f".synthetic-{n}.building"
    shutil.rmtree(scratch, ignore_errors=True)
    rng = random.Random(SEED)
    paragraphs = 0
    for k in range(n):
        text = article_text(rng, sample)
        paragraphs += text.count("\n\n")  # one before each paragraph
        path = scratch / article_path(k)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    manifest = {
        "articles": n,
        "seed": SEED,
        "paragraphs": paragraphs,
        "drawn_from": {
            "bbc_articles": len(sample.headlines),
            "bbc_paragraphs": len(sample.paragraphs),
            "bbc_mean_paragraphs": round(statistics.mean(sample.paragraph_counts), 2),
        },
    }
    (scratch / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)  # an older run's partial copy, never a complete one
    scratch.rename(target)
    return target
