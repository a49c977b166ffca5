"""All configuration, read once from `CITELINE_*` environment variables, grouped by concern.

Each group reads its own variables (`settings.store.corpus_dir` is CITELINE_CORPUS_DIR,
`settings.llm.base_url` is CITELINE_LLM_BASE_URL). A named preset (CITELINE_PRESET=local) is a
file of such variables in `presets/`, as paper-qa keeps its settings presets; the environment
overrides it. It lives in `ingest/` because that is the bottom layer: the service, the CLI and
the eval harness import it from here without creating a cycle.
"""

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, IPvAnyNetwork, ValidationError, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

PREFIX = "CITELINE_"
PRESETS = Path(__file__).resolve().parent.parent / "presets"


class InvalidSettings(ValueError):
    """CITELINE_* variables (or a preset) that do not parse, named as the user wrote them."""


def preset_values() -> dict[str, Any]:
    """The variables of the preset CITELINE_PRESET names, {} when none is chosen."""
    name = os.environ.get(f"{PREFIX}PRESET", "").strip()
    return preset(name) if name else {}


def preset(name: str) -> dict[str, Any]:
    """The variables a preset file sets."""
    path = PRESETS / f"{name}.json"
    known = sorted(p.stem for p in PRESETS.glob("*.json"))
    if not name.replace("-", "").isalnum() or not path.is_file():
        raise InvalidSettings(f"{PREFIX}PRESET: no preset {name!r}; the presets are {', '.join(known)}")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InvalidSettings(f"preset {name}: not JSON ({exc})") from None
    unknown = sorted(k for k in values if not k.startswith(PREFIX))
    if unknown:
        raise InvalidSettings(f"preset {name}: {', '.join(unknown)} are not CITELINE_ variables")
    return values


class PresetSource(PydanticBaseSettingsSource):
    """The chosen preset's values for one group, below the environment."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raise NotImplementedError  # __call__ reads the whole group at once

    def __call__(self) -> dict[str, Any]:
        prefix = self.settings_cls.model_config.get("env_prefix", "").upper()
        values = preset_values()
        wanted = {f"{prefix}{name}".upper(): name for name in self.settings_cls.model_fields}
        return {wanted[key]: value for key, value in values.items() if key in wanted}


class Group(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", enable_decoding=False)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, PresetSource(settings_cls)

    @field_validator("*", mode="before")
    @classmethod
    def comma_separated(cls, value: object, info: ValidationInfo) -> object:
        # Lists come from the environment as "a, b, c".
        annotation = cls.model_fields[info.field_name].annotation
        if isinstance(value, str) and getattr(annotation, "__origin__", None) is list:
            return [v.strip() for v in value.split(",") if v.strip()]
        return value


class StoreSettings(Group):
    corpus_dir: Path = Field(Path("corpus"), description="Folder of articles: .txt, .html/.htm, .json/.jsonl.")
    data_dir: Path = Field(Path(".citeline"), description="Embedded Chroma and conversation history.")
    chroma_url: str | None = Field(None, description="http://host:port of a `chroma run` server; unset = embedded.")
    index_dir: Path | None = Field(
        None,
        description="Where ingest writes the lexical index and unit tables services open; default <data_dir>/index.",
    )
    collection: str = Field("citeline_units", description="Chroma collection name.")
    reload_interval_s: float = Field(
        5.0, ge=0, le=3600, description="How often a service looks for a newer index generation."
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
    feeds: list[str] = Field(
        default_factory=list, description="RSS/Atom feed URLs `citeline ingest` reads (comma-separated); also --feed."
    )
    feed_allow_private: bool = Field(
        False, description="Let feeds and their links reach loopback, private and link-local addresses."
    )
    feed_timeout_s: float = Field(15.0, gt=0, le=600, description="Time limit of one feed or page fetch.")
    embed_threads: int = Field(2, ge=1, le=64, description="ONNX Runtime threads.")
    embed_batch_size: int = Field(32, ge=1, le=1024)

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def feeds_path(self) -> Path:
        """Where feed items are kept as JSON articles, read by ingest beside the corpus folder."""
        return self.data_dir / "feeds"

    @property
    def index_path(self) -> Path:
        return self.index_dir or self.data_dir / "index"


class RetrievalSettings(Group):
    top_k: int = Field(16, ge=1, le=50, description="Default number of units retrieved.")


class AnsweringSettings(Group):
    answerer: Literal["extractive", "llm"] = Field("extractive", description="Who writes answers.")
    max_answer_sentences: int = Field(3, ge=1, le=10)
    condense: Literal["rules", "llm"] = Field(
        "rules", description="How follow-ups become standalone: deterministic rules, or the LLM's condense prompt."
    )
    unsupported: Literal["drop", "flag"] = Field("drop", description="Generated sentences the sources do not support.")
    context_tokens: int = Field(1200, ge=100, le=100_000, description="Token budget of the sources in a prompt.")
    answer_tokens: int = Field(300, ge=16, le=8000, description="Most tokens a generated answer may take.")

    @property
    def calls_llm(self) -> bool:
        """Whether answering a question may wait on the LLM."""
        return self.answerer == "llm" or self.condense == "llm"


class ConversationSettings(Group):
    conversations_db: Path | None = Field(
        None, description="SQLite file of conversation history; default <data_dir>/conversations.sqlite3."
    )
    database_url: str | None = Field(
        None, description="postgresql://user@host:port/db for conversations shared by services; unset = SQLite."
    )
    history_turns: int = Field(6, ge=0, le=100, description="Most recent turns used to read a follow-up.")
    history_tokens: int = Field(1000, ge=0, le=100_000, description="Token budget (tiktoken) of the history used.")
    max_kept_turns: int = Field(50, ge=1, le=10_000, description="Turns kept per conversation.")
    conversation_retention_days: float = Field(
        30, ge=0, le=36_500, description="Conversations idle this long are deleted; 0 = kept forever."
    )


class LLMSettings(Group):
    model_config = SettingsConfigDict(env_prefix=f"{PREFIX}LLM_", extra="ignore", enable_decoding=False)

    provider: Literal["openai", "llama-cpp"] = Field(
        "openai", description="An OpenAI-compatible server, or a GGUF file run in-process (llama-cpp-python)."
    )
    model_file: Path | None = Field(None, description="The GGUF file of llama-cpp; relative = in the data dir.")
    base_url: str | None = Field(None, description="OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1.")
    model: str = Field("local", description="Model name the LLM server knows.")
    api_key: str = Field("not-needed", description="Bearer key for the LLM server, if it wants one.")
    timeout_s: float = Field(60.0, gt=0, le=3600)
    retries: int = Field(2, ge=0, le=10, description="Retries with backoff on connection errors.")
    fallback: Literal["error", "extractive"] = Field(
        "error", description="When the LLM is unreachable: a 503, or the extractive answer."
    )


class HTTPSettings(Group):
    host: str = "127.0.0.1"
    workers: int = Field(1, ge=1, le=64, description="Processes `citeline serve` runs (each answers on its own core).")
    port: int = Field(8000, ge=1, le=65535)
    cors_origins: list[str] = Field(
        default_factory=list, description="Origins allowed to call the API from a browser (comma-separated)."
    )
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


GROUPS: dict[str, type[Group]] = {
    "store": StoreSettings,
    "retrieval": RetrievalSettings,
    "answering": AnsweringSettings,
    "conversations": ConversationSettings,
    "llm": LLMSettings,
    "http": HTTPSettings,
}


def _read(group: type[Group], values: dict[str, Any]) -> Group:
    try:
        return group(**values)
    except ValidationError as exc:
        prefix = group.model_config.get("env_prefix", PREFIX).upper()
        problems = "; ".join(f"{prefix}{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        raise InvalidSettings(problems) from None


class Settings(BaseModel):
    store: StoreSettings
    retrieval: RetrievalSettings
    answering: AnsweringSettings
    conversations: ConversationSettings
    llm: LLMSettings
    http: HTTPSettings

    @classmethod
    def read(cls, **changes: Any) -> "Settings":
        """The environment (and preset), with `changes` given by variable name without the
        prefix (`corpus_dir=...`, `llm_base_url=...`) taking precedence."""
        return cls(**{name: _read(group, {}) for name, group in GROUPS.items()}).updated(**changes)

    def updated(self, **changes: Any) -> "Settings":
        """A copy with some values changed, named as their variables are without the prefix."""
        by_group: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            name, field = owner(key)
            by_group.setdefault(name, {})[field] = value
        update = {
            name: _read(GROUPS[name], {**getattr(self, name).model_dump(exclude_unset=True), **fields})
            for name, fields in by_group.items()
        }
        return self.model_copy(update=update)

    @property
    def conversations_path(self) -> Path:
        return self.conversations.conversations_db or self.store.data_dir / "conversations.sqlite3"

    @property
    def llm_model_path(self) -> Path | None:
        """The llama-cpp model file; a relative one is in the data dir."""
        file = self.llm.model_file
        return file if file is None or file.is_absolute() else self.store.data_dir / file


def owner(key: str) -> tuple[str, str]:
    """The group and field of a variable named without its prefix ("llm_base_url" -> llm, base_url)."""
    for name, group in GROUPS.items():
        prefix = group.model_config.get("env_prefix", PREFIX)[len(PREFIX) :].lower()
        field = key[len(prefix) :] if key.startswith(prefix) else None
        if field in group.model_fields:
            return name, field
    raise KeyError(f"no setting {key!r}")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.read()
