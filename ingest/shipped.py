"""Files that installed packages ship (the embedding model and its tokenizer; in llama-index-core,
tiktoken's encodings and nltk's stop words), found without importing the packages."""

import importlib.util
from pathlib import Path


def package_dir(name: str) -> Path:
    # find_spec locates the files without importing the packages' heavy __init__ modules.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed (see pyproject.toml)")
    return Path(next(iter(spec.submodule_search_locations)))


def llama_static() -> Path:
    """llama-index-core's `_static` folder of data files."""
    return package_dir("llama_index.core") / "_static"


def english_stopwords() -> frozenset[str]:
    """nltk's English stop words, read from llama-index's copy of nltk's data: the very list
    `globals_helper.stopwords` gives, without importing nltk (which imports scipy: about a
    second of every service's start)."""
    path = llama_static() / "nltk_cache" / "corpora" / "stopwords" / "english"
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
