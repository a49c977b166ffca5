"""The question-answering path, end to end: question -> retrieve -> answer -> verify -> response.

The HTTP API, the CLI and the eval harness all call `Pipeline.ask`; none has a copy of it.
"""

import logging
import threading
import time
from datetime import UTC, datetime

from ingest import index_dir
from ingest.corpus_index import CorpusIndex
from ingest.minilm import Embedder, MiniLM
from ingest.settings import Settings
from ingest.store import UnitStore
from service.answerer import Answerer
from service.condense import condense
from service.conversations import ConversationStore, ConversationStoreError, Turn, open_conversations
from service.extractive import ExtractiveAnswerer
from service.followup import earlier_questions, leans_on_history, quoted_before, rewrite, story
from service.generative import GenerativeAnswerer
from service.llm import LLMUnavailable, make_llm
from service.prompts import cannot_answer, load
from service.query_batcher import QueryBatcher
from service.question import Question, analyse
from service.question_text import is_unicode, visible
from service.retrieve import Candidate, HybridRetriever
from service.schemas import (
    EMPTY_QUESTION,
    MAX_QUESTION_CHARS,
    NOT_UNICODE,
    AskRequest,
    AskResponse,
    Restrictions,
    Retrieved,
    Verification,
)
from service.scope import Scope, TimeRange, dated_within, outside, said_outside, scope_of, without_phrase
from service.sources import SourceLibrary
from service.support import SupportJudge
from service.tokens import count
from service.verify import verify

log = logging.getLogger("citeline")


class InvalidQuestion(ValueError):
    pass


class UnknownSources(LookupError):
    """`sources` names articles the index does not hold (a 404, as for GET /api/sources)."""


class Pipeline:
    def __init__(
        self,
        settings: Settings,
        store: UnitStore,
        embedder: Embedder,
        conversations: ConversationStore | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self.generation, index = index_dir.open_current(settings.store.index_path, store)
        self.retriever = HybridRetriever(store, index, embedder)
        store.load_vectors()
        self._checked = time.monotonic()
        self._reloading = threading.Lock()
        self.library = SourceLibrary(
            settings.store.corpus_dir, settings.store.max_file_bytes, lambda source: self.index.article_text(source)
        )
        self.conversations = conversations or open_conversations(settings)
        self.extractive = ExtractiveAnswerer(settings.answering.max_answer_sentences)
        self._generative: GenerativeAnswerer | None = None

    @classmethod
    def load(cls, settings: Settings, serving: bool = False) -> "Pipeline":
        """The pipeline of `settings`; `serving` many questions at once, it embeds them together."""
        embedder = MiniLM.configured(settings.store)
        return cls(settings, UnitStore(settings), QueryBatcher(embedder) if serving else embedder)

    def check_question(self, question: str) -> str:
        # The same rule as the request schema's pattern (service/question_text.py), for the
        # callers that have no schema in front: the OpenAI-compatible API and the CLI.
        if not is_unicode(question):
            raise InvalidQuestion(NOT_UNICODE)
        text = visible(question)
        if not text:
            raise InvalidQuestion(EMPTY_QUESTION)
        if len(text) > MAX_QUESTION_CHARS:
            raise InvalidQuestion(f"question is too long: {len(text)} characters, at most {MAX_QUESTION_CHARS}")
        return text

    def history(self, conversation_id: str, owner: str | None = None) -> list[Turn]:
        """The most recent turns that fit the history budget (turn count and tokens)."""
        turns = self.conversations.turns(conversation_id, owner, last=self.settings.conversations.history_turns)
        kept: list[Turn] = []
        budget = self.settings.conversations.history_tokens
        for turn in reversed(turns):
            budget -= count(turn.rewritten_question) + count(turn.answer)
            if budget < 0:
                break
            kept.insert(0, turn)
        return kept

    def standalone(self, text: str, history: list[Turn]) -> str:
        """The question rewritten to stand alone, given the conversation so far."""
        by_rules = rewrite(text, history, self.index)
        if self.settings.answering.condense != "llm" or not history:
            return by_rules
        try:
            return condense(self.generative().llm, text, history) or by_rules
        except LLMUnavailable:
            log.warning("LLM unavailable; follow-up rewritten by rules", exc_info=True)
            return by_rules

    @property
    def index(self) -> CorpusIndex:
        return self.retriever.index

    def refresh(self) -> None:
        """Pick up what an ingest published since (with a Chroma server, ingest runs beside the
        services): at most every `reload_interval_s`, read the index folder's pointer and open
        the newer generation, which ingest built. One thread opens it; the others keep answering
        from the old one, which is swapped in whole, so every answer comes from one consistent
        state. (Embedded Chroma belongs to one process: there, ingest waits for the service.)"""
        if time.monotonic() - self._checked < self.settings.store.reload_interval_s:
            return
        if not self._reloading.acquire(blocking=False):
            return
        try:
            self._checked = time.monotonic()
            root = self.settings.store.index_path
            if index_dir.current(root) not in (None, self.generation):
                generation, index = index_dir.open_current(root, self.store)
                self.retriever, self.generation = HybridRetriever(self.store, index, self.embedder), generation
                log.info("opened index generation %s: %s units", generation, len(index))
        finally:
            self._reloading.release()

    def consider(
        self, text: str, history: list[Turn], top_k: int | None = None, restrictions: Restrictions | None = None
    ) -> tuple[Question, list[Candidate], CorpusIndex, Scope, TimeRange | None]:
        """The question read (follow-ups resolved), its scope, and the sentences retrieved for it
        within that scope, with the index they came from: what an answerer chooses from."""
        self.store.check()
        self.refresh()
        retriever = self.retriever  # one consistent state for the whole answer, even if a reload lands
        standalone = self.standalone(text, history)
        scope, time_range = self.scope(standalone, retriever.index, restrictions or Restrictions())
        # A follow-up that leans on the conversation is looked up, and its topic read, with the
        # questions it follows: "Who directed it?" is about the film just discussed.
        before = earlier_questions(history) if leans_on_history(text) else ""
        # The period a question names is the scope's to apply; what is asked is the rest.
        asked = standalone
        if time_range and time_range.phrase and dated_within(scope, retriever.index):
            asked = without_phrase(standalone, time_range.phrase)
        query = f"{before} {asked}".strip()
        top_k = top_k or self.settings.retrieval.top_k
        candidates = retriever.retrieve(query, retriever.embed_query(query), top_k, scope)
        question = analyse(asked, retriever.index, {c.unit.source for c in candidates})
        if scope.newest_first:
            question = question.model_copy(update={"latest": True})
        if before:
            question = question.model_copy(update={"story": story(history), "quoted_before": quoted_before(history)})
        return question, candidates, retriever.index, scope, time_range

    @staticmethod
    def scope(text: str, index: CorpusIndex, restrictions: Restrictions) -> tuple[Scope, TimeRange | None]:
        unknown = [s for s in restrictions.sources or [] if index.article_meta(s) is None]
        if unknown:
            raise UnknownSources(f"sources: no article named {', '.join(map(repr, unknown[:5]))} in the index")
        as_of = restrictions.as_of or datetime.now(UTC).date()
        return scope_of(text, index, as_of, restrictions.since, restrictions.until, restrictions.sources)

    def answer(
        self, text: str, history: list[Turn], top_k: int | None = None, restrictions: Restrictions | None = None
    ) -> AskResponse:
        """The answer to one question given its history: rewrite, retrieve, answer, verify."""
        question, candidates, index, scope, time_range = self.consider(text, history, top_k, restrictions)
        standalone = question.text
        if scope.restricted and not candidates:
            return AskResponse(
                answer=f"{cannot_answer()} {outside(scope, index)}",
                answered=False,
                citations=[],
                conversation_id="",
                rewritten_question=standalone,
                verification=Verification(verified=True, checked=0),
                time_range=time_range,
            )
        drafted = self.answerer().answer(question, candidates, index)
        answer_text, citations, verification = verify(drafted.text, drafted.citations, self.library)
        verification = verification.model_copy(
            update={
                "removed": drafted.removed + verification.removed,
                "flagged": drafted.flagged,
                "answerer": drafted.answerer,
                "verified": verification.verified and not drafted.removed and not drafted.flagged,
            }
        )
        citations = [c.model_copy(update={"also_in": index.copies_of(c.source)}) for c in citations]
        answered = drafted.answered
        if answered and not citations:
            answer_text, answered = f"{cannot_answer()} {load('sources_changed')}", False
        if not answered and said_outside(scope, index):
            # Only undated articles were searched: say too that no dated one is from that period.
            answer_text = f"{answer_text} {outside(scope, index)}"
        return AskResponse(
            answer=answer_text,
            answered=answered,
            citations=citations,
            conversation_id="",
            rewritten_question=standalone,
            retrieved=[
                Retrieved(
                    source=s.candidate.unit.source,
                    line=s.candidate.unit.line,
                    char_start=s.candidate.unit.char_start,
                    char_end=s.candidate.unit.char_end,
                    score=round(s.score, 4),
                )
                for s in drafted.ranked
            ],
            verification=verification,
            time_range=time_range,
        )

    def answerer(self) -> Answerer:
        return self.generative() if self.settings.answering.answerer == "llm" else self.extractive

    def generative(self) -> GenerativeAnswerer:
        if self._generative is None:
            self._generative = GenerativeAnswerer(
                make_llm(self.settings), self.settings, SupportJudge(self.embedder), self.extractive
            )
        return self._generative

    def ask(self, request: AskRequest, owner: str | None = None) -> AskResponse:
        """An answer within a stored conversation (a new one when no id is given) that belongs to
        `owner`, the caller's key digest (None without keys): to others it does not exist."""
        text = self.check_question(request.question)
        conversation_id = request.conversation_id
        history = self.history(conversation_id, owner) if conversation_id else []
        conversation_id = conversation_id or self.conversations.new_id()
        response = self.answer(text, history, request.top_k, request)
        turn = Turn(
            question=text,
            rewritten_question=response.rewritten_question,
            answer=response.answer,
            answered=response.answered,
            citations=response.citations,
            created=time.time(),
        )
        try:
            number = self.conversations.append(conversation_id, turn, owner)
        except ConversationStoreError as exc:
            # The answer is computed and verified: it is given, marked as not saved, not lost to a 500.
            log.error("answer given but not saved: %s", exc)
            return response.model_copy(update={"conversation_id": conversation_id, "saved": False})
        return response.model_copy(update={"conversation_id": conversation_id, "turn": number})
