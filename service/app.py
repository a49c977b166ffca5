"""The FastAPI application: HTTP in, `Pipeline.ask` and the source library, JSON or SSE out."""

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ingest.article_meta import ArticleMeta
from ingest.store import StoreUnavailable
from service import docs, openai_compat
from service.answer_queue import AnswerQueue
from service.conversations import ConversationNotFound, ConversationStoreError, TurnNotFound
from service.guard import Guard, RateLimit
from service.llm import LLMUnavailable
from service.observability import Metrics, RequestContext
from service.pipeline import InvalidQuestion, Pipeline, UnknownSources
from service.retrieve import IndexEmpty
from service.schemas import (
    CONVERSATION_ID_PATTERN,
    ERROR_RESPONSES,
    SOURCE_PAGE_LINES,
    SOURCE_PAGE_MAX_LINES,
    SOURCE_RESPONSES,
    AskRequest,
    AskResponse,
    Conversation,
    ConversationTurn,
    FeedbackRequest,
    Health,
    SourceDocument,
    SourceLine,
    StoredFeedback,
    describe_errors,
)
from service.sources import SourceNotFound, SourceTooLarge
from service.worker_balance import BalanceConnections, WorkerLoads

log = logging.getLogger("citeline")
STATIC = Path(__file__).resolve().parent / "static"

# Client mistakes and outages map to statuses; anything else is a 500 without details.
KNOWN_ERRORS: dict[type[Exception], tuple[int, str | None]] = {
    InvalidQuestion: (422, None),
    UnknownSources: (404, None),
    ConversationNotFound: (404, "no such conversation"),
    TurnNotFound: (404, "no such turn in this conversation"),
    # Only feedback meets it: an answer that cannot be saved is still given (AskResponse.saved).
    ConversationStoreError: (503, "the conversation database cannot be written right now; try again shortly"),
    IndexEmpty: (503, None),
    StoreUnavailable: (503, "the vector store is unavailable; try again shortly"),
    LLMUnavailable: (503, "the language model is unreachable; try again shortly"),
}
# Streamed text goes out a few words at a time; the whole answer is verified before the first.
STREAM_WORDS = 3
STREAM_PAUSE_S = 0.01


def error_status(exc: Exception) -> tuple[int, str]:
    for kind, (status, message) in KNOWN_ERRORS.items():
        if isinstance(exc, kind):
            return status, message or str(exc)
    return 500, "internal error"


def stream_pieces(answer: str) -> list[str]:
    words = re.findall(r"\S+\s*", answer)
    return ["".join(words[i : i + STREAM_WORDS]) for i in range(0, len(words), STREAM_WORDS)]


def create_app(pipeline: Pipeline, worker_loads: WorkerLoads | None = None) -> FastAPI:
    settings = pipeline.settings
    app = FastAPI(
        title="citeline",
        summary="Answers over a news corpus; every sentence cites verbatim source lines.",
        version="0.1.0",
        # No max_body_size: FastAPI's limit answers a too-large Content-Length in plain text, from
        # outside every middleware (no request id, headers, log or metric); the Guard limits bodies.
        docs_url=None,  # FastAPI's docs pages need a CDN and inline scripts: service/docs.py serves ours
        redoc_url=None,
        # Starlette would redirect "/api/x/" to "/api/x" on the host the client's Host header names.
        redirect_slashes=False,
    )
    app.state.pipeline = pipeline
    queue = AnswerQueue(settings.answering.calls_llm)
    metrics = Metrics()
    # Added innermost first: requests pass RequestContext, then Guard, then CORS.
    if settings.http.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.http.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["content-type", "authorization", "x-request-id"],
            expose_headers=["x-request-id", "retry-after"],
        )
    app.add_middleware(
        Guard,
        keys=settings.http.api_keys,
        # Built here, not on the first request, so that a bad storage URI stops start-up.
        rate_limit=RateLimit(settings.http.rate_limit, settings.http.rate_burst, settings.http.rate_limit_storage)
        if settings.http.rate_limit
        else None,
        trusted_proxies=settings.http.trusted_proxies,
        max_body_bytes=settings.http.max_body_bytes,
        frame_ancestors=settings.http.frame_ancestors,
    )
    app.add_middleware(RequestContext, metrics=metrics)
    if worker_loads:  # one of `citeline serve --workers N`
        app.add_middleware(BalanceConnections, loads=worker_loads)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": describe_errors(exc.errors())})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if isinstance(exc.__cause__, UnicodeDecodeError):  # FastAPI's "error parsing the body"
            return JSONResponse(status_code=422, content={"detail": "the request body is not valid JSON: not UTF-8"})
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def known_or_unexpected(_: Request, exc: Exception) -> JSONResponse:
        status, message = error_status(exc)
        if status == 500:
            log.exception("unhandled error")
        elif status == 503:
            log.error("unavailable: %s", exc)
        return JSONResponse(status_code=status, content={"detail": message})

    for kind in KNOWN_ERRORS:
        app.add_exception_handler(kind, known_or_unexpected)

    @app.post("/api/ask", response_model=AskResponse, responses=ERROR_RESPONSES, tags=["answers"])
    async def ask(request: AskRequest, http: Request) -> AskResponse:
        """Answer a question from the corpus; every sentence carries a verified citation.
        With a `conversation_id`, the question may lean on that conversation's earlier turns."""
        response = await queue.answer(pipeline.ask, request, http.state.owner)
        metrics.answer(response)
        return response

    @app.post("/api/ask/stream", response_class=EventSourceResponse, responses=ERROR_RESPONSES, tags=["answers"])
    async def ask_stream(request: AskRequest, http: Request) -> AsyncIterator[ServerSentEvent]:
        """The same answer as Server-Sent Events: `delta` events with text, then one `done` event
        carrying the full response (as `/api/ask` returns it), or one `error` event."""
        try:
            response = await queue.answer(pipeline.ask, request, http.state.owner)
        except Exception as exc:  # reported in-stream: the stream has already begun
            status, message = error_status(exc)
            if status == 500:
                log.exception("unhandled error while streaming")
            yield ServerSentEvent(event="error", data={"status": status, "detail": message})
            return
        metrics.answer(response)
        for piece in stream_pieces(response.answer):
            yield ServerSentEvent(event="delta", data={"text": piece})
            await asyncio.sleep(STREAM_PAUSE_S)
        yield ServerSentEvent(event="done", data=response.model_dump(mode="json"))

    @app.get(
        "/api/conversations/{conversation_id}", response_model=Conversation, responses=ERROR_RESPONSES, tags=["answers"]
    )
    def conversation(
        http: Request,
        conversation_id: str = PathParam(max_length=128, pattern=CONVERSATION_ID_PATTERN),
    ) -> Conversation:
        """A conversation's turns, with each answer's citations as they were given (only to the
        key that started it)."""
        turns = pipeline.conversations.turns(conversation_id, http.state.owner)
        return Conversation(
            conversation_id=conversation_id,
            turns=[ConversationTurn(turn=t.number, **t.model_dump(exclude={"number"})) for t in turns],
        )

    @app.post("/api/feedback", response_model=StoredFeedback, responses=ERROR_RESPONSES, tags=["feedback"])
    def feedback(request: FeedbackRequest, http: Request) -> StoredFeedback:
        """A reader's verdict on one answer, helpful or not, with an optional note. The latest
        verdict on a turn replaces any earlier one; only the key that started the conversation
        may judge its answers."""
        stored = pipeline.conversations.give_feedback(
            request.conversation_id, request.turn, request.verdict, request.note, http.state.owner
        )
        metrics.verdict(stored.verdict)
        return StoredFeedback(conversation_id=request.conversation_id, turn=request.turn, **stored.model_dump())

    @app.get("/api/sources/{source:path}", response_model=SourceDocument, responses=SOURCE_RESPONSES, tags=["sources"])
    def source(
        source: str,
        offset: int = Query(0, ge=0, description="Lines to skip: 0 starts at line 1."),
        limit: int = Query(SOURCE_PAGE_LINES, ge=1, le=SOURCE_PAGE_MAX_LINES, description="Most lines returned."),
    ) -> SourceDocument | JSONResponse:
        """An article's lines, numbered as citations number them: `limit` lines from line `offset` + 1
        (a long article comes in pages; `total_lines` and `more` say what is left)."""
        try:
            article = pipeline.library.get(source)
        except SourceTooLarge as exc:
            return JSONResponse(status_code=404, content={"detail": f"{exc}: too large to serve (and not ingested)"})
        except SourceNotFound:
            return JSONResponse(status_code=404, content={"detail": f"no such source: {source}"})
        page = article.lines[offset : offset + limit]
        return SourceDocument(
            source=source,
            meta=pipeline.index.article_meta(article.source) or ArticleMeta(),
            lines=[SourceLine(number=line.number, text=line.text) for line in page],
            total_lines=len(article.lines),
            offset=offset,
            more=offset + len(page) < len(article.lines),
        )

    @app.get("/healthz", response_model=Health, responses={503: {"model": Health}}, tags=["operations"])
    def healthz() -> Health | JSONResponse:
        """ok when questions can be answered; degraded with a 503, saying why, when they cannot
        (Chroma does not answer or its files are gone, or the index is empty); degraded with a 200
        while answers cannot be saved (they are still given, so the service stays in rotation)."""
        units = len(pipeline.index)
        unsaved = pipeline.conversations.write_error
        problem = ""
        if not pipeline.store.reachable():
            problem = "the vector store is unavailable"
        elif not units:
            problem = "the index is empty: run `citeline ingest`"
        health = Health(
            status="degraded" if problem or unsaved else "ok",
            units=units,
            store="server" if pipeline.settings.store.chroma_url else "embedded",
            conversations=f"cannot be saved: {unsaved}" if unsaved else "ok",
            detail=problem,
        )
        if problem:
            return JSONResponse(status_code=503, content=health.model_dump())
        return health

    @app.get("/metrics", tags=["operations"], response_class=Response)
    def prometheus() -> Response:
        """Request counts and latencies per route, answer outcomes, readers' verdicts (Prometheus text format)."""
        body, content_type = metrics.exposition()
        return Response(content=body, media_type=content_type)

    @app.get("/", include_in_schema=False)
    def home() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC / "widget.js", media_type="text/javascript")

    app.include_router(openai_compat.router(pipeline, queue))
    docs.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
