"""The FastAPI application: HTTP in, `Pipeline.ask` and the source library, JSON out."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse

from ingest.store import StoreUnavailable
from service.pipeline import InvalidQuestion, Pipeline
from service.retrieve import IndexEmpty
from service.schemas import AskRequest, AskResponse, ErrorBody, Health, SourceDocument, SourceLine
from service.sources import SourceNotFound

log = logging.getLogger("citeline")

ERRORS = {
    404: {"model": ErrorBody, "description": "Not found"},
    422: {"model": ErrorBody, "description": "Invalid request"},
    503: {"model": ErrorBody, "description": "The index is empty or Chroma is unreachable"},
}


def create_app(pipeline: Pipeline) -> FastAPI:
    app = FastAPI(
        title="citeline",
        summary="Answers over a news corpus; every sentence cites verbatim source lines.",
        version="0.1.0",
    )
    app.state.pipeline = pipeline

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        messages = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
            messages.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
        return JSONResponse(status_code=422, content={"detail": "; ".join(messages)})

    @app.exception_handler(InvalidQuestion)
    async def invalid_question(_: Request, exc: InvalidQuestion) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(IndexEmpty)
    async def index_empty(_: Request, exc: IndexEmpty) -> JSONResponse:
        return JSONResponse(status_code=503, content={"detail": str(exc)})

    @app.exception_handler(StoreUnavailable)
    async def store_unavailable(_: Request, exc: StoreUnavailable) -> JSONResponse:
        log.error("store unavailable: %s", exc)
        return JSONResponse(status_code=503, content={"detail": "the vector store is unavailable; try again shortly"})

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    @app.post("/api/ask", response_model=AskResponse, responses=ERRORS, tags=["answers"])
    def ask(request: AskRequest) -> AskResponse:
        """Answer a question from the corpus; every sentence carries a verified citation."""
        return pipeline.ask(request)

    @app.get("/api/sources/{source:path}", response_model=SourceDocument, responses=ERRORS, tags=["sources"])
    def source(source: str) -> SourceDocument | JSONResponse:
        """An article's lines, numbered as citations number them."""
        try:
            article = pipeline.library.get(source)
        except SourceNotFound:
            return JSONResponse(status_code=404, content={"detail": f"no such source: {source}"})
        return SourceDocument(
            source=article.source,
            lines=[SourceLine(number=line.number, text=line.text) for line in article.lines],
        )

    @app.get("/healthz", response_model=Health, tags=["operations"])
    def healthz() -> Health:
        return Health(
            status="ok",
            units=len(pipeline.index),
            store="server" if pipeline.settings.chroma_url else "embedded",
        )

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/docs")

    return app
