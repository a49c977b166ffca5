"""The golden question set format: one JSON object per line (see eval/README.md)."""

import json
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DEFAULT_SET = Path(__file__).resolve().parent / "golden" / "core.jsonl"
# The kind of a draft exported from readers' feedback; a reviewer gives it a real one.
FEEDBACK_DRAFT = "feedback-draft"


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    line: int = Field(ge=1)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.line}"


class ReaderFeedback(BaseModel):
    """The "not helpful" verdict a record was drafted from: for the reviewer, never judged."""

    model_config = ConfigDict(extra="forbid")

    note: str = Field("", description="What the reader wrote.")
    answer: str = Field(description="The answer the reader judged.")
    rewritten_question: str = Field(description="The question that answer answered (follow-ups resolved).")
    cited: list[Line] = Field(default_factory=list, description="The lines it cited (trap candidates).")
    judged_at: str = Field(description="When the verdict was given (ISO 8601, UTC).")


# The request fields a record may be asked with.
RESTRICTIONS = ("since", "until", "as_of", "sources")


class GoldenRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    question: str = Field(min_length=1)
    history: list[str] = Field(default_factory=list, description="Earlier questions, oldest first.")
    answerable: bool
    gold: list[Line] = Field(default_factory=list, description="Lines that answer; cite one.")
    key_facts: list[list[str]] = Field(
        default_factory=list, description="Each fact: alternatives, one must appear in the answer."
    )
    traps: list[Line] = Field(default_factory=list, description="Lines that must not be cited.")
    kind: str = "direct"
    # Asked with these request fields (the API's since/until/as_of/sources), when given.
    since: date | None = None
    until: date | None = None
    as_of: date | None = None
    sources: list[str] | None = None
    draft: bool = Field(False, description="Exported from readers' feedback and not yet reviewed: never scored.")
    feedback: ReaderFeedback | None = Field(None, description="The reader's verdict this record came from.")

    @property
    def time_constrained(self) -> bool:
        """Asked within a period: by request fields, or by words of the question (a time-* kind)."""
        return bool(self.since or self.until or self.as_of) or self.kind.startswith("time-")

    @property
    def restrictions(self) -> dict[str, object]:
        """The request fields this record is asked with, as JSON."""
        return self.model_dump(mode="json", include=set(RESTRICTIONS), exclude_none=True)

    def as_json(self) -> dict[str, object]:
        """The record as a line of a set holds it: request fields only when it has them."""
        unused = {name for name in RESTRICTIONS if getattr(self, name) is None}
        return self.model_dump(mode="json", exclude=unused)

    @model_validator(mode="after")
    def consistent(self) -> "GoldenRecord":
        # A reviewer who only deletes the draft marker would leave a refusal that nobody chose.
        if self.kind == FEEDBACK_DRAFT and not self.draft:
            raise ValueError(f"a reviewed record needs a kind other than {FEEDBACK_DRAFT} (see eval/README.md)")
        if self.answerable and not self.gold:
            raise ValueError("an answerable record needs at least one gold line")
        if not self.answerable and (self.gold or self.key_facts):
            raise ValueError("an unanswerable record has no gold lines or key facts")
        if any(not fact for fact in self.key_facts):
            raise ValueError("each key fact needs at least one alternative")
        return self


class GoldenSetError(ValueError):
    pass


def load_set(path: Path) -> list[GoldenRecord]:
    """Records of a .jsonl file; a clear error naming the line for anything malformed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldenSetError(f"cannot read golden set {path}: {exc}") from None
    records: list[GoldenRecord] = []
    seen: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = GoldenRecord.model_validate(json.loads(raw))
        except json.JSONDecodeError as exc:
            raise GoldenSetError(f"{path}:{number}: not JSON ({exc.msg})") from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors())
            raise GoldenSetError(f"{path}:{number}: {problems}") from None
        if record.id in seen:
            raise GoldenSetError(f"{path}:{number}: duplicate id {record.id!r}")
        seen.add(record.id)
        records.append(record)
    if not records:
        raise GoldenSetError(f"{path}: no records")
    return records
