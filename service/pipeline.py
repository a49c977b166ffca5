"""The question-answering path, end to end: question -> retrieve -> answer -> verify -> response.

The HTTP API, the CLI and the eval harness all call `Pipeline.ask`; none has a copy of it.
"""

import time

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import UnitStore
from service import extractive
from service.conversations import ConversationStore, Turn
from service.corpus_index import CorpusIndex
from service.followup import rewrite
from service.prompts import cannot_answer
from service.question import analyse
from service.retrieve import HybridRetriever
from service.schemas import AskRequest, AskResponse, Retrieved
from service.sources import SourceLibrary
from service.tokens import count
from service.verify import verify

# Said when every citation failed verification: the files differ from what was ingested.
SOURCES_CHANGED = "The passages it would cite have changed since they were ingested; run `citeline ingest` again."


class InvalidQuestion(ValueError):
    pass


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        store: UnitStore,
        embedder: MiniLMEmbedding,
        conversations: ConversationStore | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.index = CorpusIndex.load(store)
        self.retriever = HybridRetriever(store, self.index, embedder)
        self.library = SourceLibrary(settings.corpus_dir)
        self.conversations = conversations or ConversationStore(settings.conversations_path, settings.max_kept_turns)

    @classmethod
    def load(cls, settings: Settings) -> "Pipeline":
        embedder = MiniLMEmbedding(threads=settings.embed_threads, embed_batch_size=settings.embed_batch_size)
        return cls(settings, UnitStore(settings), embedder)

    def check_question(self, question: str) -> str:
        # Control characters and unpaired surrogates are not text; the tokenizer rejects them.
        text = " ".join("".join(ch for ch in question if ch.isprintable() or ch.isspace()).split())
        if not text:
            raise InvalidQuestion("question must not be empty")
        if len(text) > self.settings.max_question_chars:
            raise InvalidQuestion(
                f"question is too long: {len(text)} characters, at most {self.settings.max_question_chars}"
            )
        return text

    def history(self, conversation_id: str) -> list[Turn]:
        """The most recent turns that fit the history budget (turn count and tokens)."""
        turns = self.conversations.turns(conversation_id, last=self.settings.history_turns)
        kept: list[Turn] = []
        budget = self.settings.history_tokens
        for turn in reversed(turns):
            budget -= count(turn.rewritten_question) + count(turn.answer)
            if budget < 0:
                break
            kept.insert(0, turn)
        return kept

    def ask(self, request: AskRequest) -> AskResponse:
        text = self.check_question(request.question)
        conversation_id = request.conversation_id
        history = self.history(conversation_id) if conversation_id else []
        conversation_id = conversation_id or self.conversations.create()
        standalone = rewrite(text, history, self.index)
        top_k = request.top_k or self.settings.top_k
        question = analyse(standalone, self.index)
        candidates = self.retriever.retrieve(standalone, self.retriever.embed_query(standalone), top_k)
        draft = extractive.answer(question, candidates, self.index, self.settings.max_answer_sentences)
        answer, citations, verification = verify(draft.answer, draft.citations, self.library)
        answered = draft.answered and bool(citations)
        if draft.answered and not citations:
            answer = f"{cannot_answer()} {SOURCES_CHANGED}"
        self.conversations.append(
            conversation_id,
            Turn(
                question=text,
                rewritten_question=standalone,
                answer=answer,
                answered=answered,
                citations=citations,
                created=time.time(),
            ),
        )
        return AskResponse(
            answer=answer,
            answered=answered,
            citations=citations,
            conversation_id=conversation_id,
            rewritten_question=standalone,
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
