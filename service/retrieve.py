"""Hybrid retrieval: vector search in Chroma and BM25 over the same units, fused (RRF).

Both legs see a unit's retrieval text (title, heading, speaker and sentence), so a question
naming a speaker finds statements that never name him. LlamaIndex does the work: its
`VectorIndexRetriever` over `ChromaVectorStore`, `BM25Retriever` (persisted by ingest, opened
memory-mapped: ingest/lexical.py), and `QueryFusionRetriever` in reciprocal-rank mode. The query
is embedded once, here, and the vector is reused.
"""

import httpx
import numpy as np
from chromadb.errors import ChromaError
from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.core.retrievers import QueryFusionRetriever
from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
from llama_index.core.schema import QueryBundle
from pydantic import BaseModel

from ingest import lexical
from ingest.corpus_index import CorpusIndex
from ingest.embedder import MiniLMEmbedding
from ingest.store import StoreUnavailable, UnitStore
from ingest.units import Unit

# Each leg returns this many candidates before fusion: enough that a unit ranked low by one
# leg but high by the other survives.
LEG_DEPTH = 40


class Candidate(BaseModel):
    unit: Unit
    similarity: float  # cosine between the question and the unit's retrieval text


class IndexEmpty(Exception):
    pass


class HybridRetriever:
    def __init__(self, store: UnitStore, index: CorpusIndex, embedder: MiniLMEmbedding) -> None:
        self.store = store
        self.index = index
        self.embedder = embedder
        depth = min(LEG_DEPTH, len(index))
        bm25 = lexical.open_retriever(index.folder, depth) if index.folder and depth else None
        if bm25 is None:
            self._fusion = None
            return
        vector = VectorStoreIndex.from_vector_store(store.vector_store(), embed_model=embedder).as_retriever(
            similarity_top_k=depth
        )
        self._fusion = QueryFusionRetriever(
            [vector, bm25],
            mode=FUSION_MODES.RECIPROCAL_RANK,
            num_queries=1,  # no LLM query rewriting: the LLM below is never called
            llm=MockLLM(),
            use_async=False,
            similarity_top_k=2 * depth,
        )

    def embed_query(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def retrieve(self, text: str, query_vector: np.ndarray, top_k: int) -> list[Candidate]:
        if self._fusion is None:
            raise IndexEmpty("the index is empty: run `citeline ingest` first")
        bundle = QueryBundle(query_str=text, embedding=query_vector.tolist())
        try:
            fused = self._fusion.retrieve(bundle)[:top_k]
            vectors = self.store.embeddings_of([n.node.node_id for n in fused])
        except (httpx.HTTPError, ChromaError, ConnectionError) as exc:  # a Chroma server that went away
            raise StoreUnavailable(f"Chroma did not answer: {exc}") from exc
        units = self.index.units([n.node.node_id for n in fused])
        candidates = []
        for hit in fused:
            unit = units.get(hit.node.node_id)
            vector = vectors.get(hit.node.node_id)
            if unit is None or vector is None:
                continue  # written by an ingest after this process built its index
            similarity = float(np.asarray(vector, dtype=np.float32) @ query_vector)
            candidates.append(Candidate(unit=unit, similarity=similarity))
        return candidates
