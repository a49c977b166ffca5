"""Chroma access: the one place that knows how units and the ingest manifest are stored.

Collections: `<name>` holds one record per unit (vector, sentence, metadata in llama-index's
node format, so `ChromaVectorStore` reads it); `<name>_files` is the manifest, one record per
ingested corpus file; `<name>_articles` one record per article (its metadata, and the normalised
text of one that is not a .txt file); `<name>_meta` holds the index generation. All live in the same
Chroma, embedded or server, so the manifest can never disagree with the store about where it is.
"""

import itertools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.config import Settings as ChromaSettings

from ingest.article_meta import ArticleMeta
from ingest.minilm import MODEL_ID
from ingest.settings import Settings
from ingest.units import SCHEMA_VERSION, Unit

# Chroma caps one write; stay well below it so a batch never fails for size alone.
WRITE_BATCH = 2000
READ_PAGE = 1000  # records per `get`: Chroma builds one SQL statement of a page's ids
FILES_PER_READ = 50  # about a thousand units of news articles


class StoreUnavailable(Exception):
    """Chroma cannot be reached or opened."""


@dataclass(frozen=True)
class StoredArticle:
    source: str
    file: str
    meta: ArticleMeta
    text: str | None  # the normalised copy; None for a .txt article (the file is its text)


@dataclass(frozen=True)
class FileRecord:
    source: str
    sha256: str
    size: int
    mtime_ns: int
    units: int
    complete: bool
    schema: int
    # Units of this content (in file order) already stored: a run killed in a long file left
    # the first `done`, and the next run goes on from there. Absent in older manifests.
    done: int = 0


def connect(settings: Settings) -> "chromadb.ClientAPI":
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if settings.store.chroma_url:
            url = urlparse(settings.store.chroma_url)
            if url.scheme not in ("http", "https") or not url.hostname:
                raise StoreUnavailable(f"CITELINE_CHROMA_URL is not an http(s) URL: {settings.store.chroma_url!r}")
            return chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        settings.store.chroma_path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.store.chroma_path), settings=chroma_settings)
    except StoreUnavailable:
        raise
    except Exception as exc:  # chromadb raises several unrelated types for "cannot connect"
        where = settings.store.chroma_url or settings.store.chroma_path
        raise StoreUnavailable(f"cannot open Chroma at {where}: {exc}") from exc


class UnitStore:
    def __init__(self, settings: Settings) -> None:
        self.client = connect(settings)
        # Embedded Chroma keeps its files open: removed under a running process, it would go on
        # answering from what no longer exists. Their presence is checked instead.
        self.database = None if settings.store.chroma_url else settings.store.chroma_path / "chroma.sqlite3"
        try:
            self.units = self.client.get_or_create_collection(
                settings.store.collection,
                metadata={"hnsw:space": "cosine", "embed_model": MODEL_ID},
            )
            # Chroma requires a vector per record; the manifest has nothing to search, so 1-d.
            self.files = self.client.get_or_create_collection(f"{settings.store.collection}_files")
            self.meta = self.client.get_or_create_collection(f"{settings.store.collection}_meta")
            self.articles = self.client.get_or_create_collection(f"{settings.store.collection}_articles")
        except Exception as exc:  # a bad name, a lost server: chromadb raises many types
            raise StoreUnavailable(f"cannot open Chroma collection {settings.store.collection!r}: {exc}") from exc

    # --- manifest -------------------------------------------------------------------
    def file_records(self) -> dict[str, FileRecord]:
        return {
            source: FileRecord(source=source, **meta)  # type: ignore[arg-type]
            for got in _pages(self.files, ["metadatas"])
            for source, meta in zip(got["ids"], got["metadatas"] or [], strict=False)
        }

    def put_file_records(self, records: Sequence[FileRecord]) -> None:
        for begin in range(0, len(records), WRITE_BATCH):
            batch = records[begin : begin + WRITE_BATCH]
            self.files.upsert(
                ids=[r.source for r in batch],
                embeddings=[[1.0]] * len(batch),
                metadatas=[
                    {
                        "sha256": r.sha256,
                        "size": r.size,
                        "mtime_ns": r.mtime_ns,
                        "units": r.units,
                        "complete": r.complete,
                        "schema": r.schema,
                        "done": r.done,
                    }
                    for r in batch
                ],
            )

    # --- generation: bumped by every ingest that changes something, so that service processes
    # sharing this store know when to rebuild what they keep in memory.
    def generation(self) -> int:
        got = self.meta.get(ids=["generation"], include=["metadatas"])
        return int((got["metadatas"] or [{}])[0].get("value", 0)) if got["ids"] else 0

    def bump_generation(self) -> None:
        self.meta.upsert(ids=["generation"], embeddings=[[1.0]], metadatas=[{"value": self.generation() + 1}])

    def drop_file_records(self, sources: Sequence[str]) -> None:
        for begin in range(0, len(sources), READ_PAGE):
            self.files.delete(ids=list(sources[begin : begin + READ_PAGE]))

    # --- articles -------------------------------------------------------------------
    def put_articles(self, articles: Sequence[StoredArticle]) -> None:
        for begin in range(0, len(articles), WRITE_BATCH):
            batch = articles[begin : begin + WRITE_BATCH]
            self.articles.upsert(
                ids=[a.source for a in batch],
                embeddings=[[1.0]] * len(batch),
                documents=[a.text or "" for a in batch],
                metadatas=[
                    {
                        "file": a.file,
                        "normalised": a.text is not None,
                        **a.meta.model_dump(exclude={"authors"}, exclude_none=True),
                        "authors": json.dumps(a.meta.authors, ensure_ascii=False),
                    }
                    for a in batch
                ],
            )

    def all_articles(self, files: Sequence[str] | None = None) -> Iterable[StoredArticle]:
        """The articles of `files` (default: every file in the manifest)."""
        for got in self._by_file(self.articles, ["documents", "metadatas"], _articles_of, files):
            for source, text, meta in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=False):
                fields = dict(meta)
                normalised = bool(fields.pop("normalised", False))
                file = str(fields.pop("file", source))
                fields["authors"] = json.loads(str(fields.get("authors") or "[]"))
                yield StoredArticle(source, file, ArticleMeta(**fields), text if normalised else None)

    # --- units ----------------------------------------------------------------------
    def delete_files(self, files: Sequence[str]) -> None:
        """Everything stored from these corpus files: their units and their articles."""
        for begin in range(0, len(files), 100):
            chunk = list(files[begin : begin + 100])
            self.units.delete(where=_units_of(chunk))
            self.articles.delete(where=_articles_of(chunk))

    def upsert(self, units: Sequence[Unit], embeddings: np.ndarray) -> None:
        # llama-index's ChromaVectorStore.add() calls collection.add(), which fails or
        # duplicates when a crashed run is repeated; upsert with stable ids is idempotent.
        # Imported here, not by a service that only reads (llama-index takes a second to import).
        from llama_index.core.vector_stores.utils import node_to_metadata_dict

        for begin in range(0, len(units), WRITE_BATCH):
            batch = units[begin : begin + WRITE_BATCH]
            nodes = [u.to_node() for u in batch]
            self.units.upsert(
                ids=[n.node_id for n in nodes],
                embeddings=embeddings[begin : begin + WRITE_BATCH],
                documents=[n.text for n in nodes],
                metadatas=[node_to_metadata_dict(n, remove_text=True, flat_metadata=True) for n in nodes],
            )

    def count(self) -> int:
        return self.units.count()

    def article_count(self) -> int:
        return self.articles.count()

    def check(self) -> None:
        """Raise StoreUnavailable when the embedded store's files have been removed."""
        if self.database is not None and not self.database.exists():
            raise StoreUnavailable(
                f"the embedded store {self.database.parent} has been removed; "
                "run `citeline ingest` and restart the service"
            )

    def reachable(self) -> bool:
        try:
            self.check()
            self.units.count()
        except Exception:  # any failure to answer means "not reachable" to a health check
            return False
        return True

    def all_units(self, files: Sequence[str] | None = None) -> Iterable[Unit]:
        """The units of `files` (default: every file in the manifest)."""
        for got in self._by_file(self.units, ["documents", "metadatas"], _units_of, files):
            yield from _units_in(got)

    def units_and_vectors(self, files: Sequence[str] | None = None) -> Iterable[tuple[list[Unit], np.ndarray]]:
        """The units of `files` with their vectors, a page at a time: its units and their rows."""
        for got in self._by_file(self.units, ["documents", "metadatas", "embeddings"], _units_of, files):
            if got["ids"]:
                yield _units_in(got), np.asarray(got["embeddings"], dtype=np.float32)

    def _by_file(
        self,
        collection: Any,
        include: list[str],
        where: Callable[[list[str]], dict[str, Any]],
        files: Sequence[str] | None,
    ) -> Iterable[Any]:
        """What `collection` holds of every file in the manifest, a few files at a time, in file
        order. Not Chroma's offset paging over the whole collection: each page skips every record
        before it, so the read slows as it goes (at 586,000 units the last page took five times
        the first, and at two million the read-back was half an hour)."""
        files = sorted(self.file_records() if files is None else files)
        for begin in range(0, len(files), FILES_PER_READ):
            admits = where(files[begin : begin + FILES_PER_READ])
            for offset in itertools.count(0, READ_PAGE):  # a file may hold thousands of articles
                got = collection.get(include=include, where=admits, limit=READ_PAGE, offset=offset)
                yield got
                if len(got["ids"]) < READ_PAGE:
                    break

    def nearest(self, vector: np.ndarray, k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """The ids of the `k` units nearest to `vector` (among those `where` admits) with their
        cosine similarity, best first. Only ids and distances: the service reads units from its
        own index, not from Chroma."""
        got = self.units.query(query_embeddings=[vector.tolist()], n_results=k, where=where, include=["distances"])
        return [(i, 1.0 - d) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]  # type: ignore[index]

    def load_vectors(self) -> None:
        """Have Chroma load the units' vector index now. It does so on a collection's first query
        (0.2 s at BBC scale), and every question queued behind that first one would wait too."""
        try:
            got = self.units.get(limit=1, include=["embeddings"])
            if got["ids"]:
                self.units.query(query_embeddings=[got["embeddings"][0]], n_results=1, include=[])  # type: ignore[index]
        except Exception as exc:  # a lost server: chromadb raises many types
            raise StoreUnavailable(f"cannot read Chroma collection {self.units.name!r}: {exc}") from exc

    def embeddings_of(self, ids: Sequence[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        got = self.units.get(ids=list(ids), include=["embeddings"])
        return {i: list(e) for i, e in zip(got["ids"], got["embeddings"], strict=False)}  # type: ignore[arg-type]

    def compatible(self, record: FileRecord) -> bool:
        return record.complete and record.schema == SCHEMA_VERSION


def _pages(collection: Any, include: list[str]) -> Iterable[Any]:
    """Every record of `collection`, READ_PAGE at a time: Chroma fails on one `get` of a large
    collection ("too many SQL variables" at about 100,000 records), and small pages keep the
    peak memory of decoding each one low."""
    for offset in range(0, collection.count(), READ_PAGE):
        yield collection.get(include=include, limit=READ_PAGE, offset=offset)


def _units_in(got: Any) -> list[Unit]:
    from llama_index.core.vector_stores.utils import metadata_dict_to_node  # as in upsert

    texts, metas = got["documents"] or [], got["metadatas"] or []
    return [Unit.from_node(metadata_dict_to_node(meta, text=text)) for text, meta in zip(texts, metas, strict=False)]  # type: ignore[arg-type]


def _units_of(files: list[str]) -> dict[str, Any]:
    # Units stored before schema 10 have no `file`; their source was their file.
    return {"$or": [{"file": {"$in": files}}, {"source": {"$in": files}}]}


def _articles_of(files: list[str]) -> dict[str, Any]:
    return {"file": {"$in": files}}
