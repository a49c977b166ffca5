"""Token counting with tiktoken, offline.

tiktoken downloads its BPE files on first use; llama-index-core ships the cl100k_base and
o200k_base files, so point tiktoken's cache at them before the first call.
"""

import os
from functools import lru_cache

from ingest.shipped import llama_static

ENCODING = "cl100k_base"


@lru_cache(maxsize=1)
def _encoding():  # noqa: ANN202 - tiktoken.Encoding, imported lazily
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(llama_static() / "tiktoken_cache"))
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))
