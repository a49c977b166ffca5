"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use; llama-index-core ships the cl100k_base and
o200k_base files, so point tiktoken's cache at them before the first call.
"""

import importlib.util
import os
from functools import lru_cache
from pathlib import Path

ENCODING = "cl100k_base"


def _shipped_cache() -> str:
    spec = importlib.util.find_spec("llama_index.core")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("llama-index-core is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache")


@lru_cache(maxsize=1)
def _encoding():  # noqa: ANN202 - tiktoken.Encoding, imported lazily
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", _shipped_cache())
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))
