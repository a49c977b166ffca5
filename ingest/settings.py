"""All configuration, read once from `CITELINE_*` environment variables.

It lives in `ingest/` because that is the bottom layer: the service, the CLI and the eval
harness import it from here without creating a cycle.
"""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, IPvAnyNetwork, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CITELINE_", extra="ignore", enable_decoding=False)

    corpus_dir: Path = Field(Path("corpus"), description="Folder of UTF-8 .txt articles.")
    data_dir: Path = Field(Path(".citeline"), description="Embedded Chroma and conversation history.")
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; unset = embedded.")
    collection: str = Field("citeline_units", description="Chroma collection name.")
    reload_interval_s: float = Field(
        5.0, ge=0, le=3600, description="How often a service checks a Chroma server for a newer ingest."
    )

    max_line_chars: int = Field(
        100_000, ge=1000, le=100_000_000, description="A file with a longer line is skipped (not an article)."
    )
    max_file_bytes: int = Field(
        5 * 1024 * 1024,
        ge=1024,
        le=10**10,
        description="A larger file is skipped by ingest and not served (a few MB is a long article).",
    )
    embed_threads: int = Field(2, ge=1, le=64, description="ONNX Runtime threads.")
    embed_batch_size: int = Field(32, ge=1, le=1024)

    top_k: int = Field(16, ge=1, le=50, description="Default number of units retrieved.")
    max_answer_sentences: int = Field(3, ge=1, le=10)

    conversations_db: Path | None = Field(
        None, description="SQLite file of conversation history; default <data_dir>/conversations.sqlite3."
    )
    history_turns: int = Field(6, ge=0, le=100, description="Most recent turns used to read a follow-up.")
    history_tokens: int = Field(1000, ge=0, le=100_000, description="Token budget (tiktoken) of the history used.")
    max_kept_turns: int = Field(50, ge=1, le=10_000, description="Turns kept per conversation.")
    conversation_retention_days: float = Field(
        30, ge=0, le=36_500, description="Conversations idle this long are deleted; 0 = kept forever."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (comma-separated)."
    )

    answerer: Literal["extractive", "llm"] = Field("extractive", description="Who writes answers.")
    llm_preset: Literal["none", "local"] = Field(
        "none", description="local: the bundled Qwen2.5-Coder-1.5B GGUF in-process (make local-llm)."
    )
    local_model: Path | None = Field(None, description="GGUF file of the local preset; default <data_dir>/models/.")
    llm_base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1.")
    llm_model: str = Field("local", description="Model name the LLM server knows.")
    llm_api_key: str = Field("not-needed", description="Bearer key for the LLM server, if it wants one.")
    llm_timeout_s: float = Field(60.0, gt=0, le=3600)
    llm_retries: int = Field(2, ge=0, le=10, description="Retries with backoff on connection errors.")
    llm_fallback: Literal["error", "extractive"] = Field(
        "error", description="When the LLM is unreachable: a 503, or the extractive answer."
    )
    condense: Literal["rules", "llm"] = Field(
        "rules", description="How follow-ups become standalone: deterministic rules, or the LLM's condense prompt."
    )
    unsupported: Literal["drop", "flag"] = Field("drop", description="Generated sentences the sources do not support.")
    context_tokens: int = Field(1200, ge=100, le=100_000, description="Token budget of the sources in a prompt.")
    answer_tokens: int = Field(300, ge=16, le=8000, description="Most tokens a generated answer may take.")

    api_keys: list[str] = Field(
        default_factory=list, description="Comma-separated API keys; when set, API routes need a Bearer key."
    )
    rate_limit: int = Field(0, ge=0, le=1_000_000, description="Requests per minute per client; 0 = no limit.")
    rate_burst: int | None = Field(
        None, ge=1, le=1_000_000, description="Requests a client may make at once; unset = the per-minute rate."
    )
    rate_limit_storage: str = Field(
        "memory://", description="`limits` storage URI of the rate-limit counters, e.g. redis://host:6379 (shared)."
    )
    trusted_proxies: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For names the client; none by default.",
    )
    frame_ancestors: str = Field("*", description="Who may frame the chat page (CSP frame-ancestors).")
    max_body_bytes: int = Field(65_536, ge=1024, le=100_000_000, description="Largest request body accepted.")
    log_format: Literal["json", "text"] = Field("json", description="Log lines of `citeline serve`.")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def conversations_path(self) -> Path:
        return self.conversations_db or self.data_dir / "conversations.sqlite3"

    @property
    def local_model_path(self) -> Path:
        return self.local_model or self.data_dir / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"

    @field_validator("cors_origins", "api_keys", "trusted_proxies", mode="before")
    @classmethod
    def comma_separated(cls, value: object) -> object:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
