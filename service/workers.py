"""`citeline serve --workers N`: N processes answering on one port, on N cores.

Gunicorn's arbiter runs them (uvicorn's worker class), restarts one that dies and stops them
together. The arbiter has imported the code and loaded the embedding model before it forks, so
the workers share those pages with it copy-on-write instead of each holding its own copy (about
350 MB); the corpus index and BM25 files are memory-mapped, shared through the page cache. What
is not safe across a fork is opened by each worker after it: Chroma, the corpus index's SQLite
file, the conversation database. Keep-alive clients are spread evenly over the workers
(service/worker_balance.py).
"""

import gc
import os
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.errors import AppImportError
from uvicorn_worker import UvicornWorker

from ingest.minilm import Embedder, MiniLM
from ingest.settings import Settings
from ingest.store import StoreUnavailable, UnitStore
from service.conversations import ConversationStoreError
from service.worker_balance import WorkerLoads

# Prometheus counters of all workers, added up at /metrics (prometheus_client's multiprocess
# mode reads this variable when it is first imported, so it is set before the service is).
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


class Worker(UvicornWorker):
    # Gunicorn makes workers from the class by name: what the settings decide is set on the
    # class before the fork (Workers below).
    CONFIG_KWARGS: dict[str, Any] = {"loop": "auto", "http": "auto", "proxy_headers": False}


class Workers(BaseApplication):
    def __init__(self, settings: Settings, embedder: Embedder, host: str, port: int, workers: int) -> None:
        self.settings = settings
        self.embedder = embedder
        self.loads = WorkerLoads()
        # uvicorn rewrites the client address from X-Forwarded-For only for the proxies the
        # Guard trusts, and with none trusted, never.
        proxies = [str(network) for network in settings.http.trusted_proxies]
        Worker.CONFIG_KWARGS["proxy_headers"] = bool(proxies)
        self.options = {
            "bind": f"{host}:{port}",
            "workers": workers,
            "worker_class": f"{Worker.__module__}.{Worker.__qualname__}",
            "forwarded_allow_ips": ",".join(proxies),
            # A question can take a few seconds on a loaded machine; a worker silent for longer
            # than this is stuck and is replaced.
            "timeout": 120,
            "graceful_timeout": 30,
            "accesslog": None,  # our own JSON access line (service/observability.py)
            "loglevel": "info",
            # One socket per user in the home folder: a second service would take the first's.
            "control_socket_disable": True,
            "pre_fork": self.loads.pre_fork,
            "post_fork": self.loads.post_fork,
            "child_exit": self.loads.child_exit,
        }
        if settings.http.log_format == "json":
            from service.observability import json_logging_config

            self.options["logconfig_dict"] = json_logging_config()
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """The app of one worker, run after the fork."""
        from service.app import create_app
        from service.pipeline import Pipeline
        from service.query_batcher import QueryBatcher

        try:
            pipeline = Pipeline(self.settings, UnitStore(self.settings), QueryBatcher(self.embedder))
            return create_app(pipeline, self.loads)
        except (StoreUnavailable, ConversationStoreError) as exc:
            raise AppImportError(f"citeline serve: {exc}") from None


def prepare_metrics_dir() -> str:
    """A fresh folder for the workers' counters, named in the environment before any import of
    prometheus_client; the caller removes it."""
    folder = tempfile.mkdtemp(prefix="citeline-metrics-")
    os.environ[METRICS_DIR] = folder
    return folder


def run(settings: Settings, host: str, port: int, workers: int) -> None:
    # One ONNX Runtime thread per worker: N workers keep N cores busy without contending.
    embedder = MiniLM(threads=1, embed_batch_size=settings.store.embed_batch_size)
    embedder.embed(["warm up"])  # allocate the model's buffers before the fork, once
    gc.collect()
    gc.freeze()  # the collector would otherwise touch, and so copy, every shared object
    Workers(settings, embedder, host, port, workers).run()
