"""What an eval run asks: the in-process pipeline, a running service over HTTP, or the peer.

Each target answers a question (within a conversation, for follow-ups) and returns the API's
response as a dict plus the time it took; nothing here judges the answer.
"""

import time
from typing import Protocol
from urllib.parse import quote

import httpx
from pydantic import BaseModel

from service.pipeline import Pipeline
from service.schemas import SOURCE_PAGE_MAX_LINES, AskRequest


class Answered(BaseModel):
    response: dict
    latency_ms: float


class Target(Protocol):
    name: str

    def ask(self, question: str, conversation_id: str | None, restrictions: dict | None = None) -> Answered: ...


class InProcessTarget:
    """The very pipeline the service runs, called directly."""

    def __init__(self, pipeline: Pipeline, name: str = "citeline") -> None:
        self.pipeline = pipeline
        self.name = name

    def ask(self, question: str, conversation_id: str | None, restrictions: dict | None = None) -> Answered:
        started = time.perf_counter()
        request = AskRequest.model_validate(
            {"question": question, "conversation_id": conversation_id, **(restrictions or {})}
        )
        response = self.pipeline.ask(request)
        return Answered(response=response.model_dump(mode="json"), latency_ms=(time.perf_counter() - started) * 1000)


class HttpTarget:
    """A running citeline service, through its public API."""

    def __init__(self, url: str, name: str = "citeline", timeout: float = 60.0) -> None:
        self.client = httpx.Client(base_url=url.rstrip("/"), timeout=timeout)
        self.name = name

    def ask(self, question: str, conversation_id: str | None, restrictions: dict | None = None) -> Answered:
        started = time.perf_counter()
        body = {"question": question, "conversation_id": conversation_id, **(restrictions or {})}
        reply = self.client.post("/api/ask", json=body)
        latency = (time.perf_counter() - started) * 1000
        if reply.status_code != 200:
            raise RuntimeError(f"{self.client.base_url}/api/ask answered {reply.status_code}: {reply.text[:200]}")
        return Answered(response=reply.json(), latency_ms=latency)

    def article_text(self, source: str) -> str | None:
        """The normalised text of an article that is no .txt file, as the service serves it (its
        lines are one paragraph each, joined by line breaks), for checking citations into it."""
        reply = self.client.get(f"/api/sources/{quote(source)}", params={"limit": SOURCE_PAGE_MAX_LINES})
        if reply.status_code != 200:
            return None
        return "".join(f"{line['text']}\n" for line in reply.json()["lines"])
