"""The HTTP API's request and response models (also used by the CLI and the eval harness)."""

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ingest.article_meta import ArticleMeta
from ingest.units import Unit
from service.question_text import VISIBLE_PATTERN, visible
from service.scope import TimeRange

# Longer is not a question; the same limit for every deployment, so the schema can say it.
MAX_QUESTION_CHARS = 1000
MAX_NOTE_CHARS = 1000
# Far beyond any conversation, well within SQLite's integers (a larger one would not bind: a 500).
MAX_TURN = 1_000_000_000
CONVERSATION_ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"


def _whole(value: object) -> object:
    """JSON Schema counts 28.0 as an integer; so do we (but not "28" or 28.5)."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def whole_number(minimum: int, maximum: int) -> Any:  # an Annotated type: nothing more precise fits
    """An integer from `minimum` to `maximum` that a strict model accepts whenever its JSON Schema does."""
    return Annotated[
        int,
        BeforeValidator(_whole),
        Field(ge=minimum, le=maximum),
        WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum}),
    ]


TopK = whole_number(1, 50)
TurnNumber = whole_number(0, MAX_TURN)
Verdict = Literal["helpful", "not_helpful"]


EXAMPLE_QUESTION = "What did Stoltenberg say about Ukraine's membership?"


def _iso_day(value: object) -> object:
    """A JSON string "2022-01-13" as a date; anything else (a number, a date-time) as it came,
    for the strict model to refuse, as the schema's `format: date` does."""
    if isinstance(value, str) and ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date") from None
    return value


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# An ISO date ("2022-01-13"), also in models that are otherwise strict (JSON has no date type).
Day = Annotated[date, BeforeValidator(_iso_day), WithJsonSchema({"type": "string", "format": "date"})]
MAX_SOURCES = 100


class Restrictions(BaseModel):
    """What a question may be answered from, and the date relative expressions are read against."""

    # `since` after `until` is an empty period: refused as one, like any period without articles.
    since: Day | None = Field(None, description="Only articles published on or after this date (ISO 8601).")
    until: Day | None = Field(None, description="Only articles published on or before this date (ISO 8601).")
    as_of: Day | None = Field(
        None, description='Reference date for "last week", "yesterday" in the question (default: today).'
    )
    sources: list[Annotated[str, Field(min_length=1, max_length=1000)]] | None = Field(
        None, max_length=MAX_SOURCES, description="Only these articles (names as citations give them)."
    )


class AskRequest(Restrictions):
    # The whole example, so that the docs' "Try it out" sends a question alone rather than one
    # with a made-up conversation id (a 404).
    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [{"question": EXAMPLE_QUESTION}]}
    )

    question: str = Field(
        description=(
            "The question, in plain language, with at least one visible character "
            "(control and format characters, such as zero-width spaces, are dropped)."
        ),
        examples=[EXAMPLE_QUESTION],
        min_length=1,
        max_length=MAX_QUESTION_CHARS,
        pattern=VISIBLE_PATTERN,
    )
    conversation_id: str | None = Field(None, max_length=128, pattern=CONVERSATION_ID_PATTERN)
    top_k: TopK | None = Field(None, description="Units retrieved, 1 to 50 (default: server setting).")


class Citation(BaseModel):
    id: int = Field(description="The marker [id] in the answer.")
    source: str = Field(description="File name relative to the corpus folder.")
    line_start: int = Field(description="First cited line, 1-based.")
    line_end: int = Field(description="Last cited line, 1-based, inclusive.")
    quote: str = Field(description="Verbatim: equals the file's text[char_start:char_end].")
    char_start: int
    char_end: int
    speaker: str = Field("", description='Who is speaking in the quote, if known (the speakers, joined by "and").')
    speakers: list[str] = Field(default_factory=list, description="Who is speaking in the quote, one name each.")
    title: str = Field("", description="The article's headline.")
    published: str | None = Field(None, description="When the article was published (ISO 8601), if known.")
    url: str | None = Field(None, description="The original article, if known.")
    also_in: list[str] = Field(
        default_factory=list, description="Near-duplicate articles that report the same (other outlets, re-fetches)."
    )

    @classmethod
    def of(cls, id_: int, unit: Unit) -> "Citation":
        """A unit cited as marker `id_`: its own text is the quote, never anyone's rewording."""
        return cls(
            id=id_,
            source=unit.source,
            line_start=unit.line,
            line_end=unit.line,
            quote=unit.text,
            char_start=unit.char_start,
            char_end=unit.char_end,
            speaker=unit.speaker,
            speakers=unit.speakers,
            # A headline's own unit carries no title beside it: it is the title.
            title=unit.title or (unit.text if unit.kind == "title" else ""),
            published=unit.published or None,
            url=unit.url or None,
        )


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
    time_range: TimeRange | None = Field(
        None, description="The period of publication the answer was restricted to, when one was given or asked."
    )
    saved: bool = Field(
        True,
        description="False when the turn could not be stored (the database cannot be written): the answer "
        "stands, but the conversation does not hold it.",
    )
    turn: int | None = Field(
        None,
        description="The answer's turn number in the conversation, from 0 at its first turn (what "
        "POST /api/feedback names); null when the turn was not saved.",
    )


class Feedback(BaseModel):
    verdict: Verdict
    note: str = Field("", description="What the reader added, if anything.")
    created: float = Field(description="Unix time the verdict was given.")


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"conversation_id": "3f2a9c", "turn": 0, "verdict": "not_helpful", "note": "Wrong person."}]
        },
    )

    conversation_id: str = Field(max_length=128, pattern=CONVERSATION_ID_PATTERN)
    turn: TurnNumber = Field(
        description="The answer's turn number: `turn` in the ask response and in GET /api/conversations/{id} "
        "(from 0 at the conversation's first turn)."
    )
    verdict: Verdict
    # Stored as questions are: without invisible characters (PostgreSQL cannot hold a NUL).
    note: Annotated[str, AfterValidator(visible)] = Field(
        "",
        max_length=MAX_NOTE_CHARS,
        description="Optional: what was wrong, or anything else (invisible characters are dropped and "
        "whitespace is collapsed).",
    )


class StoredFeedback(Feedback):
    conversation_id: str
    turn: int


class ConversationTurn(BaseModel):
    turn: int = Field(description="From 0 at the conversation's first turn; kept when older turns are pruned.")
    question: str
    rewritten_question: str
    answer: str
    answered: bool
    citations: list[Citation]
    created: float = Field(description="Unix time.")
    feedback: Feedback | None = Field(None, description="The reader's latest verdict on this answer.")


class Conversation(BaseModel):
    conversation_id: str
    turns: list[ConversationTurn]


class SourceLine(BaseModel):
    number: int
    text: str


# Lines of an article GET /api/sources returns at once, unless asked for fewer (or more, up to
# the maximum): a long article comes in pages, never whole.
SOURCE_PAGE_LINES = 2000
SOURCE_PAGE_MAX_LINES = 10_000


class SourceDocument(BaseModel):
    source: str
    meta: ArticleMeta = Field(
        default_factory=ArticleMeta, description="Headline, publication date, URL, authors, section, as far as known."
    )
    lines: list[SourceLine] = Field(description="The requested lines, in order, numbered as citations number them.")
    total_lines: int = Field(description="Lines in the whole article.")
    offset: int = Field(description="Lines skipped before the first one returned.")
    more: bool = Field(description="Further lines follow: ask again with `offset` + the number of lines returned.")


class Health(BaseModel):
    status: str = Field(
        description="ok; degraded with a 503 when questions cannot be answered, with a 200 while answers cannot"
        " be saved."
    )
    units: int
    store: str
    conversations: str = Field("ok", description="ok, or why the conversation database cannot be written.")
    detail: str = Field("", description="Why questions cannot be answered (with the 503).")


class ErrorBody(BaseModel):
    detail: str


# The error responses every API route documents, always JSON (also beside an SSE stream).
ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorBody, "description": text, "content": {"application/json": {}}}
    for status, text in (
        (400, "The request body cannot be parsed (not UTF-8)"),
        (404, "Not found"),
        (413, "The request body is too large"),
        (422, "Invalid request"),
        (503, "The index is empty, Chroma or the language model is unreachable, or feedback cannot be saved"),
    )
}


# GET /api/sources says what its 404 covers.
SOURCE_RESPONSES: dict[int | str, dict] = {
    **ERROR_RESPONSES,
    404: {
        **ERROR_RESPONSES[404],
        "description": "No such article: an unknown name, anything outside the corpus, a file that is not an "
        "article, or one larger than CITELINE_MAX_FILE_BYTES (which ingest skips too, so nothing cites it)",
    },
}


EMPTY_QUESTION = "question must not be empty"
UNICODE_RULE = "must be valid Unicode text, without unpaired surrogates"
NOT_UNICODE = f"question {UNICODE_RULE}"
# What a person asking should read, instead of pydantic's wording.
QUESTION_MESSAGES = {
    "string_too_short": EMPTY_QUESTION,
    "string_pattern_mismatch": EMPTY_QUESTION,
    "string_unicode": NOT_UNICODE,  # pydantic's pattern check cannot read an unpaired surrogate
    "string_too_long": "question is too long: at most {max_length} characters",
}


def describe_errors(errors: list) -> str:
    """One readable sentence for a request's validation errors (HTTP 422s, CLI messages)."""
    messages = []
    for error in errors:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("body", "path"))
        if error.get("type") == "json_invalid":
            messages.append("the request body is not valid JSON")
        elif where == "question" and error.get("type") in QUESTION_MESSAGES:
            messages.append(QUESTION_MESSAGES[error["type"]].format(**error.get("ctx", {})))
        elif error.get("type") == "string_unicode":  # pydantic's wording speaks of "raw data"
            messages.append(f"{where} {UNICODE_RULE}")
        elif not where and error.get("type") == "missing":
            messages.append("the request body is empty: send a JSON object (content-type: application/json)")
        elif not where and error.get("type") in ("model_attributes_type", "dict_type"):
            messages.append("the request body must be a JSON object (content-type: application/json)")
        else:
            messages.append(f"{where}: {error.get('msg')}" if where else str(error.get("msg")))
    return "; ".join(messages)
