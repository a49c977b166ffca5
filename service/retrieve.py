"""Hybrid retrieval: vector search in Chroma and BM25 over the same units, fused by rank.

Both legs see a unit's retrieval text (title, heading, speaker and sentence), so a question
naming a speaker finds statements that never name him. The query is embedded once, here.

LlamaIndex's `VectorIndexRetriever` and `QueryFusionRetriever` did this until the cost of a
question mattered (issue #14): they fetched every hit's text and metadata from Chroma and built a
node of each (80 a question) only for us to look the unit up by id, about 8 ms of 25. Chroma is
now asked for ids and distances only, units come from the corpus index, and the fusion keeps
what that retriever did: each unit at its best rank in either leg, ties to the vector leg.
A near-duplicate article's units give way to its canonical copy's (ingest/duplicates.py). (Its
reciprocal-rank sum never applied, as it keyed hits by node hash, which differs between the legs.
Summing, as RRF intends, was measured: seeds accuracy up, but the BBC-scale dev sets down, with
the BBC-scale gate missed, so the fusion the selector was fitted on stays.)
"""

import math

import httpx
import numpy as np
from chromadb.errors import ChromaError
from pydantic import BaseModel

from ingest import unit_vectors
from ingest.corpus_index import CorpusIndex
from ingest.lexical import LexicalIndex
from ingest.minilm import Embedder
from ingest.store import StoreUnavailable, UnitStore
from ingest.units import Unit, source_of
from service.scope import Scope

# Each leg returns this many candidates before fusion: enough that a unit ranked low by one
# leg but high by the other survives.
LEG_DEPTH = 40
# A scope that admits at least this share of the units is applied after the search, not inside it.
WIDE_SCOPE = 0.5


class Candidate(BaseModel):
    unit: Unit
    similarity: float  # cosine between the question and the unit's retrieval text


class IndexEmpty(Exception):
    pass


def fuse(legs: list[list[str]]) -> list[str]:
    """The ids of ranked lists, each at its best rank in any list; a tie goes to the earlier list."""
    entries = sorted((rank, leg, unit_id) for leg, ranked in enumerate(legs) for rank, unit_id in enumerate(ranked))
    return list(dict.fromkeys(unit_id for _, _, unit_id in entries))


class HybridRetriever:
    def __init__(self, store: UnitStore, index: CorpusIndex, embedder: Embedder) -> None:
        self.store = store
        self.index = index
        self.embedder = embedder
        self.lexical = LexicalIndex.open(index.folder) if index.folder and len(index) else None
        self.vectors = unit_vectors.VectorRows(index.folder) if self.lexical and index.folder else None

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def retrieve(self, text: str, query_vector: np.ndarray, top_k: int, scope: Scope | None = None) -> list[Candidate]:
        """The `top_k` units for the question, among those `scope` admits."""
        if self.lexical is None or self.vectors is None:
            raise IndexEmpty("the index is empty: run `citeline ingest` first")
        scope = scope or Scope()
        allowed, where, depth, wide = None, None, min(LEG_DEPTH, len(self.index)), False
        if scope.restricted:
            admitted = self.index.count_within(*scope.days, scope.sources, scope.undated)
            if not admitted:
                return []
            share = admitted / len(self.index)
            if share < WIDE_SCOPE:  # both legs search inside the scope
                allowed, where = self.index.positions_within(*scope.days, scope.sources, scope.undated), scope.where()
                depth = min(LEG_DEPTH, admitted)
            else:
                # Most units are in it (a period in a mostly undated archive): a Chroma filter that
                # admits nearly every unit costs more than looking a little further and dropping
                # what is outside (measured: p95 218 ms against 24 on the BBC set).
                depth, wide = min(len(self.index), math.ceil(LEG_DEPTH / share)), True
        lexical = self.index.ids_at(self.lexical.top(text, depth, allowed))
        try:
            nearest = self.store.nearest(query_vector, depth, where)
            similarity = dict(nearest)
            fused = fuse([[unit_id for unit_id, _ in nearest], list(lexical)])
            known: dict[str, Unit] = {}
            if wide:
                known = self.index.units(fused)
                fused = [unit_id for unit_id in fused if unit_id in known and scope.admits(known[unit_id])]
            if not scope.sources:  # named articles are answered from, copies or not
                copies = self.index.copies_among(source_of(unit_id) for unit_id in fused)
                fused = [unit_id for unit_id in fused if source_of(unit_id) not in copies]
        except (httpx.HTTPError, ChromaError, ConnectionError) as exc:  # a Chroma server that went away
            raise StoreUnavailable(f"Chroma did not answer: {exc}") from exc
        fused = fused[:top_k]
        # A unit only BM25 found needs its vector for its similarity: its position's row.
        missing = [unit_id for unit_id in fused if unit_id not in similarity]
        if missing:
            rows = self.vectors.rows([lexical[unit_id] for unit_id in missing])
            similarity.update(zip(missing, (rows @ query_vector).tolist(), strict=True))
        units = known | self.index.units([unit_id for unit_id in fused if unit_id not in known])
        return [
            Candidate(unit=units[unit_id], similarity=similarity[unit_id])
            for unit_id in fused
            # Absent: written or removed by an ingest after this process opened its index.
            if unit_id in units and unit_id in similarity
        ]
