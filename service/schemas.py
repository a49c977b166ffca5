"""The HTTP API's request and response models (also used by the CLI and the eval harness)."""

from pydantic import BaseModel, ConfigDict, Field


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(
        description="The question, in plain language.",
        examples=["What did Stoltenberg say about Ukraine's membership?"],
    )
    conversation_id: str | None = Field(None, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")
    top_k: int | None = Field(None, ge=1, le=50, description="Units retrieved (default: server setting).")


class Citation(BaseModel):
    id: int = Field(description="The marker [id] in the answer.")
    source: str = Field(description="File name relative to the corpus folder.")
    line_start: int = Field(description="First cited line, 1-based.")
    line_end: int = Field(description="Last cited line, 1-based, inclusive.")
    quote: str = Field(description="Verbatim: equals the file's text[char_start:char_end].")
    char_start: int
    char_end: int
    speaker: str = Field("", description="Who is speaking in the quote, if known.")


class Retrieved(BaseModel):
    source: str
    line: int
    char_start: int
    char_end: int
    score: float = Field(description="Answer-relevance score used to choose sentences.")


class Verification(BaseModel):
    verified: bool = Field(description="Nothing was removed or flagged: every citation and sentence checked out.")
    checked: int = Field(description="Citations checked against the source files.")
    removed: list[str] = Field(default_factory=list, description="What was dropped, and why.")
    flagged: list[str] = Field(default_factory=list, description="Sentences kept but marked [unverified].")
    answerer: str = Field("extractive", description="Who wrote the answer: extractive, llm, or a fallback.")


class AskResponse(BaseModel):
    answer: str
    answered: bool = Field(description="False when the corpus does not contain the answer.")
    citations: list[Citation]
    conversation_id: str
    rewritten_question: str = Field(description="The standalone question answered (follow-ups resolved).")
    retrieved: list[Retrieved] = Field(default_factory=list)
    verification: Verification


class ConversationTurn(BaseModel):
    question: str
    rewritten_question: str
    answer: str
    answered: bool
    citations: list[Citation]
    created: float = Field(description="Unix time.")


class Conversation(BaseModel):
    conversation_id: str
    turns: list[ConversationTurn]


class SourceLine(BaseModel):
    number: int
    text: str


class SourceDocument(BaseModel):
    source: str
    lines: list[SourceLine]


class Health(BaseModel):
    status: str
    units: int
    store: str


class ErrorBody(BaseModel):
    detail: str
