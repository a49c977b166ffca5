"""An OpenAI-compatible chat API, so existing clients (the official SDK, chat UIs) can ask
citeline. The messages are the conversation; the last user message is the question. The reply's
content is the cited answer with a compact source list; the structured citations ride along in
the extra fields `citations` and `citeline`. Stateless, as the OpenAI API is.
"""

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, format_sse_event
from pydantic import BaseModel, ConfigDict, Field

from service.answer_queue import AnswerQueue
from service.conversations import Turn
from service.pipeline import InvalidQuestion, Pipeline, UnknownSources
from service.schemas import ERROR_RESPONSES, MAX_QUESTION_CHARS, AskResponse, Restrictions, Verification
from service.tokens import count

MODEL_ID = "citeline"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str
    text: str = ""


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class ChatRequest(Restrictions):
    """An OpenAI chat request; `since`, `until`, `as_of` and `sources` may ride along as extra
    body fields (the SDK's `extra_body`)."""

    model_config = ConfigDict(extra="allow", strict=True)  # other OpenAI options: accepted, not used

    # Any name is accepted (clients send their default); the reply names the model that answered.
    model: str = MODEL_ID
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=200)
    stream: bool = False
    # Sampling options do not apply to an extractive answer, but a wrong one is an error, as at
    # OpenAI. Counts are whole numbers of any JSON spelling (5 or 5.0), never true or "5".
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, ge=0, le=1)
    max_tokens: float | None = Field(None, ge=1, multiple_of=1)
    max_completion_tokens: float | None = Field(None, ge=1, multiple_of=1)
    n: float | None = Field(None, ge=1, le=1, description="One answer per request.")


def content_of(response: AskResponse) -> str:
    if not response.citations:
        return response.answer
    lines = [f"[{c.id}] {c.source}:{c.line_start} “{c.quote}”" for c in response.citations]
    return response.answer + "\n\nSources:\n" + "\n".join(lines)


def split_messages(request: ChatRequest) -> tuple[str, list[tuple[str, str]]]:
    """The question (last user message) and the earlier (question, answer) exchanges."""
    users = [i for i, m in enumerate(request.messages) if m.role == "user"]
    if not users:
        raise InvalidQuestion("messages must contain a user message")
    last = users[-1]
    exchanges: list[tuple[str, str]] = []
    for i in users[:-1]:
        answer = next((m.text for m in request.messages[i + 1 : last] if m.role == "assistant"), "")
        exchanges.append((request.messages[i].text, answer))
    return request.messages[last].text, exchanges


def earlier_question(pipeline: Pipeline, asked: str) -> str | None:
    """An earlier user message as history: its first MAX_QUESTION_CHARS characters, or None when
    it is no question (empty, only an image, only invisible characters). Clients resend the whole
    chat with every request, so refusing for an old message would break that chat for good; only
    the last user message must be a valid question."""
    try:
        return pipeline.check_question(asked[:MAX_QUESTION_CHARS])
    except InvalidQuestion:
        return None


def answer_chat(pipeline: Pipeline, request: ChatRequest) -> AskResponse:
    question, exchanges = split_messages(request)
    readable = [(text, answered) for asked, answered in exchanges if (text := earlier_question(pipeline, asked))]
    history: list[Turn] = []
    for text, answered in (
        readable[-pipeline.settings.conversations.history_turns :]
        if pipeline.settings.conversations.history_turns
        else []
    ):
        # Earlier questions are read in turn, so each follow-up is resolved against its past.
        standalone = pipeline.standalone(text, history)
        history.append(
            Turn(
                question=text,
                rewritten_question=standalone,
                answer=answered,
                answered=True,
                citations=[],
                created=time.time(),
            )
        )
    return pipeline.answer(pipeline.check_question(question), history, restrictions=request)


def invalid(reason: str) -> AskResponse:
    return AskResponse(
        answer=f"Please ask a question about the corpus ({reason}).",
        answered=False,
        citations=[],
        conversation_id="",
        rewritten_question="",
        verification=Verification(verified=True, checked=0),
    )


def usage(request: ChatRequest, content: str) -> dict[str, int]:
    prompt = sum(count(m.text) for m in request.messages)
    completion = count(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def extras(response: AskResponse) -> dict:
    return {
        "citations": [c.model_dump() for c in response.citations],
        "citeline": {
            "answered": response.answered,
            "rewritten_question": response.rewritten_question,
            "verification": response.verification.model_dump(),
        },
    }


def router(pipeline: Pipeline, queue: AnswerQueue) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["OpenAI-compatible"], responses=ERROR_RESPONSES)

    @api.get("/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "citeline"}]}

    @api.post(
        "/chat/completions",
        response_model=None,
        responses={
            200: {
                "description": "A chat completion, or with `stream: true` its chunks as SSE",
                "content": {"application/json": {}, "text/event-stream": {}},
            }
        },
    )
    async def chat_completions(request: ChatRequest) -> dict | EventSourceResponse:
        """A chat completion whose content is the cited answer; `stream: true` for SSE chunks."""
        try:
            response = await queue.answer(answer_chat, pipeline, request)
        except (InvalidQuestion, UnknownSources) as exc:
            # Chat clients show the reply to the user: say what to fix, as the assistant.
            response = invalid(str(exc))
        content = content_of(response)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not request.stream:
            return {
                "id": ident,
                "object": "chat.completion",
                "created": created,
                "model": MODEL_ID,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": usage(request, content),
                **extras(response),
            }

        def chunk(delta: dict, finish: str | None = None, **more: object) -> bytes:
            body = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": created,
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                **more,
            }
            return format_sse_event(data_str=json.dumps(body, ensure_ascii=False))

        async def events() -> AsyncIterator[bytes]:
            yield chunk({"role": "assistant", "content": ""})
            words = content.split(" ")
            for i in range(0, len(words), 4):
                piece = " ".join(words[i : i + 4]) + (" " if i + 4 < len(words) else "")
                yield chunk({"content": piece})
            yield chunk({}, "stop", usage=usage(request, content), **extras(response))
            yield format_sse_event(data_str="[DONE]")

        return EventSourceResponse(events())

    return api
