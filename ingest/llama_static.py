"""Data files llama-index-core ships in `llama_index/core/_static` (tiktoken's encodings, nltk's
stop words and punkt), found without importing the package."""

import importlib.util
from pathlib import Path


def static_folder() -> Path:
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "_static"


def english_stopwords() -> frozenset[str]:
    """nltk's English stop words, read from llama-index's copy of nltk's data: the very list
    `globals_helper.stopwords` gives, without importing nltk (which imports scipy: about a
    second of every service's start)."""
    path = static_folder() / "nltk_cache" / "corpora" / "stopwords" / "english"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
