"""Giving memory back to the operating system after the index is built."""

import ctypes
import ctypes.util
import gc


def release_free_memory() -> None:
    """Return freed heap pages to the OS. Reading every unit from Chroma decodes a lot of JSON
    that is garbage a moment later; glibc keeps those pages for the process unless asked, which
    at BBC scale is a few hundred MB of resident memory doing nothing. A no-op off glibc."""
    gc.collect()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)
        if trim is not None:
            trim(0)
