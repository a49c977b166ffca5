"""The peer: a naive LlamaIndex pipeline, evaluated beside ours on the same questions.

VectorStoreIndex over one Document per file with LlamaIndex's default chunking, the same
embedding model, Chroma (in memory); its answer is its top chunks, each cited as a whole. It
is what a first try with the library gives, so the report shows what our design buys.
"""

import time
from pathlib import Path

import chromadb
from chromadb.config import Settings as ChromaSettings
from llama_index.core import Document, StorageContext, VectorStoreIndex
from llama_index.vector_stores.chroma import ChromaVectorStore

from eval.targets import Answered
from ingest.corpus import UnreadableSource, list_sources, read_article
from ingest.embedder import MiniLMEmbedding

TOP_CHUNKS = 2  # LlamaIndex's default similarity_top_k


class PeerTarget:
    name = "peer"

    def __init__(self, corpus_dir: Path, embedder: MiniLMEmbedding) -> None:
        started = time.perf_counter()
        self.articles = {}
        documents = []
        # The naive first try reads text files as they are; other formats need our readers.
        for file in (f for f in list_sources(Path(corpus_dir)) if f.source.endswith(".txt")):
            try:
                article = read_article(file.path, file.source)
            except UnreadableSource:
                continue
            self.articles[file.source] = article
            documents.append(Document(text=article.text, doc_id=file.source, metadata={"source": file.source}))
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        collection = client.get_or_create_collection(f"peer_{time.monotonic_ns()}")
        storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
        index = VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embedder)
        self.retriever = index.as_retriever(similarity_top_k=TOP_CHUNKS)
        self.ingest_seconds = time.perf_counter() - started

    def ask(self, question: str, conversation_id: str | None, restrictions: dict | None = None) -> Answered:
        """Its answer to `question`; it knows no dates or sources, so restrictions are ignored."""
        started = time.perf_counter()
        hits = self.retriever.retrieve(question)
        citations, retrieved, parts = [], [], []
        for marker, hit in enumerate(hits, start=1):
            source = hit.node.metadata["source"]
            article = self.articles[source]
            start, end = hit.node.start_char_idx or 0, hit.node.end_char_idx or 0
            first, last = article.line_at(start).number, article.line_at(max(start, end - 1)).number
            citations.append(
                {
                    "id": marker,
                    "source": source,
                    "line_start": first,
                    "line_end": last,
                    "quote": hit.node.get_content(),
                    "char_start": start,
                    "char_end": end,
                    "speaker": "",
                }
            )
            retrieved.extend(
                {"source": source, "line": n, "char_start": start, "char_end": end, "score": hit.score or 0.0}
                for n in range(first, last + 1)
            )
            parts.append(f"{hit.node.get_content()} [{marker}]")
        latency = (time.perf_counter() - started) * 1000
        response = {
            "answer": " ".join(parts),
            "answered": bool(hits),
            "citations": citations,
            "conversation_id": conversation_id or "",
            "retrieved": retrieved,
        }
        return Answered(response=response, latency_ms=latency)
