"""The language model behind the `llm` answerer: any OpenAI-compatible server (vLLM, Ollama,
llama.cpp's server, OpenAI) through llama-index's `OpenAILike`, with timeouts and retries."""

from typing import TYPE_CHECKING

from ingest.settings import Settings

# llama-index is imported when a model is made or spoken to, not by every service: a service
# without a model never needs it, and its import is about a second of every start.
if TYPE_CHECKING:
    from llama_index.core.llms import LLM


class LLMUnavailable(Exception):
    """The model server cannot be reached, timed out, or failed."""


def make_llm(settings: Settings) -> "LLM":
    if settings.llm.provider == "llama-cpp":
        from service.local_model import LocalLlama, LocalModelMissing

        path = settings.llm_model_path
        if path is None or not path.exists():
            raise LLMUnavailable(f"no model file at {path} (CITELINE_LLM_MODEL_FILE): run `make local-llm`")
        try:
            return LocalLlama(
                path,
                max_tokens=settings.answering.answer_tokens,
                context_window=settings.answering.context_tokens + settings.answering.answer_tokens + 1000,
                threads=settings.store.embed_threads,
            )
        except (ImportError, LocalModelMissing) as exc:
            raise LLMUnavailable(f"the local preset is not installed ({exc}): run `make local-llm`") from exc
    if not settings.llm.base_url:
        raise LLMUnavailable("CITELINE_ANSWERER=llm needs CITELINE_LLM_BASE_URL (an OpenAI-compatible /v1 URL)")
    # Imported here: the openai client takes most of a second to import, and a service without
    # a model never needs it.
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=settings.llm.model,
        api_base=settings.llm.base_url,
        api_key=settings.llm.api_key,
        timeout=settings.llm.timeout_s,
        max_retries=settings.llm.retries,  # the openai client backs off exponentially between tries
        max_tokens=settings.answering.answer_tokens,
        temperature=0.0,
        is_chat_model=True,
        context_window=settings.answering.context_tokens + settings.answering.answer_tokens + 1000,
    )


def chat(llm: "LLM", system: str, user: str) -> str:
    """One exchange; any failure of the model server becomes LLMUnavailable."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    messages = [ChatMessage(role=MessageRole.SYSTEM, content=system), ChatMessage(role=MessageRole.USER, content=user)]
    try:
        return (llm.chat(messages).message.content or "").strip()
    except Exception as exc:  # openai raises connection, timeout and status errors of many types
        raise LLMUnavailable(f"the language model did not answer: {type(exc).__name__}: {exc}") from exc
