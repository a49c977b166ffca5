"""Who may use the embedded Chroma store at once: one writer, or any number of readers.

Embedded Chroma belongs to one process; an ingest writing while another process reads (or
writes) the same folder can leave it unreadable (we have seen a later `count()` segfault). So a
command that writes (ingest, eval, which ingests first) takes the lock alone and one that only
reads (serve, ask) shares it; whoever comes second gets a clear message instead. A Chroma server
arbitrates its own clients, so server mode takes no lock.

The lock file lives in the data folder beside the store, not inside it: removing the store's
folder under a running service must not free the lock for an ingest beside it.
"""

import fcntl
import os

from ingest.settings import Settings

LOCK_FILE = "citeline.lock"
# Open lock files, kept for the life of the process: the lock lasts as long as it runs.
_held: dict[tuple[str, bool], int] = {}


class StoreBusy(Exception):
    pass


class DataDirUnusable(Exception):
    """The embedded store's folder cannot be written: read-only, or not ours."""


def claim(settings: Settings, write: bool) -> None:
    if settings.store.chroma_url:
        return
    path = settings.store.data_dir / LOCK_FILE
    key = (str(path.resolve()), write)
    if key in _held:
        return
    # Readers need the folder writable too: the lock file lives there, and so do Chroma's own files.
    try:
        settings.store.chroma_path.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DataDirUnusable(
            f"cannot write to the data folder {settings.store.chroma_path} ({exc.strerror}): citeline keeps its "
            "lock file and the embedded Chroma there, even to read. Make it writable, or set "
            "CITELINE_DATA_DIR to a writable folder."
        ) from None
    try:
        fcntl.flock(fd, (fcntl.LOCK_EX if write else fcntl.LOCK_SH) | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        doing = "ingest into" if write else "read"
        raise StoreBusy(
            f"cannot {doing} {settings.store.chroma_path}: another citeline process is "
            f"{'using' if write else 'writing to'} this embedded store. Stop it first (a running "
            "`citeline serve` must be restarted after an ingest anyway), or run a Chroma server "
            "(CITELINE_CHROMA_URL) to ingest while serving."
        ) from None
    _held[key] = fd
