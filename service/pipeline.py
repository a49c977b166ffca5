"""The question-answering path, end to end: question -> retrieve -> answer -> verify -> response.

The HTTP API, the CLI and the eval harness all call `Pipeline.ask`; none has a copy of it.
"""

import uuid

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import UnitStore
from service import extractive
from service.corpus_index import CorpusIndex
from service.question import analyse
from service.retrieve import HybridRetriever
from service.schemas import AskRequest, AskResponse, Retrieved
from service.sources import SourceLibrary
from service.verify import verify


class InvalidQuestion(ValueError):
    pass


class Pipeline:
    def __init__(self, settings: Settings, store: UnitStore, embedder: MiniLMEmbedding) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.index = CorpusIndex.load(store)
        self.retriever = HybridRetriever(store, self.index, embedder)
        self.library = SourceLibrary(settings.corpus_dir)

    @classmethod
    def load(cls, settings: Settings) -> "Pipeline":
        embedder = MiniLMEmbedding(threads=settings.embed_threads, embed_batch_size=settings.embed_batch_size)
        return cls(settings, UnitStore(settings), embedder)

    def check_question(self, question: str) -> str:
        text = " ".join(question.split())
        if not text:
            raise InvalidQuestion("question must not be empty")
        if len(text) > self.settings.max_question_chars:
            raise InvalidQuestion(
                f"question is too long: {len(text)} characters, at most {self.settings.max_question_chars}"
            )
        return text

    def ask(self, request: AskRequest) -> AskResponse:
        text = self.check_question(request.question)
        top_k = request.top_k or self.settings.top_k
        question = analyse(text, self.index)
        candidates = self.retriever.retrieve(text, self.retriever.embed_query(text), top_k)
        draft = extractive.answer(question, candidates, self.index, self.settings.max_answer_sentences)
        answer, citations, verification = verify(draft.answer, draft.citations, self.library)
        answered = draft.answered and bool(citations)
        if draft.answered and not citations:
            answer = extractive.refusal(question, draft.ranked).answer
        return AskResponse(
            answer=answer,
            answered=answered,
            citations=citations,
            conversation_id=request.conversation_id or uuid.uuid4().hex,
            retrieved=[
                Retrieved(
                    source=s.candidate.unit.source,
                    line=s.candidate.unit.line,
                    char_start=s.candidate.unit.char_start,
                    char_end=s.candidate.unit.char_end,
                    score=round(s.score, 4),
                )
                for s in draft.ranked
            ],
            verification=verification,
        )
