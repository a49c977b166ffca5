"""Conversation history, each answer with its citations: the models, the errors, the behaviour
common to every backend, and `open_conversations`, which picks the backend from the settings
(PostgreSQL when `database_url` is set, so that services share conversations; else SQLite).

Each conversation keeps at most `max_turns` turns; older ones are pruned as new ones arrive. A
conversation belongs to whoever started it (`owner`: the digest of their API key, None without
keys); to anyone else it does not exist. Conversations idle for `retention_days` are deleted by
whichever write comes along, at most every PRUNE_EVERY_S in a process.

Each turn has a number, counted from 0 at the conversation's first turn and never reused: it
names the turn to readers' feedback (the latest verdict on a turn is kept, with its time and an
optional note) and stays the same when older turns are pruned.

The SQL below is the one text both backends run ("?" placeholders; PostgreSQL's store turns them
into its own), so the two cannot drift apart; only schemas, connections and locking differ.
"""

import json
import math
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from service.schemas import Citation, Feedback, Verdict

if TYPE_CHECKING:
    from ingest.settings import Settings

PRUNE_EVERY_S = 600.0
DAY_S = 86_400.0


class Turn(BaseModel):
    question: str
    rewritten_question: str
    answer: str
    answered: bool
    citations: list[Citation]
    created: float


class StoredTurn(Turn):
    number: int  # from 0 at the conversation's first turn
    feedback: Feedback | None  # the reader's latest verdict on it


class JudgedTurn(BaseModel):
    """A turn a reader judged, with what it takes to ask it again."""

    conversation_id: str
    turn: StoredTurn
    earlier: list[str]  # the conversation's questions before it (those still kept), oldest first


class ConversationNotFound(Exception):
    pass


class TurnNotFound(Exception):
    pass


class ConversationStoreError(Exception):
    """The database cannot be opened (a clear start-up error) or used (said, never silent)."""


TURN_COLUMNS = "number, question, rewritten_question, answer, answered, citations, created, verdict, note, judged"
# "IS NOT DISTINCT FROM": equality that holds between two NULLs (no key), in both dialects.
OWNED = "SELECT 1 FROM conversations WHERE id = ? AND owner IS NOT DISTINCT FROM ?"
RECENT_TURNS = f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?"
# Starts the conversation, or marks it active if `owner` has it. On PostgreSQL the row it writes
# stays locked to the end of the transaction: concurrent appends to one conversation take turns
# here, so each reads the number the previous one wrote.
START_OR_TOUCH = (
    "INSERT INTO conversations (id, created, owner, updated) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (id) DO UPDATE SET updated = excluded.updated "
    "WHERE conversations.owner IS NOT DISTINCT FROM excluded.owner"
)
NEXT_NUMBER = "SELECT coalesce(max(number) + 1, 0) FROM turns WHERE conversation_id = ?"
ADD_TURN = (
    "INSERT INTO turns (conversation_id, number, question, rewritten_question, answer, answered, citations, created)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
KEEP_LATEST = (
    "DELETE FROM turns WHERE conversation_id = ? AND seq NOT IN "
    "(SELECT seq FROM turns WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?)"
)
JUDGE = "UPDATE turns SET verdict = ?, note = ?, judged = ? WHERE conversation_id = ? AND number = ?"
# One statement, so that the turns and their conversations are read from one snapshot.
JUDGED_CONVERSATIONS = (
    f"SELECT conversation_id, {TURN_COLUMNS} FROM turns WHERE conversation_id IN "
    "(SELECT conversation_id FROM turns WHERE verdict = 'not_helpful' AND judged >= ?) "
    "ORDER BY conversation_id, number"
)


def _stored(row: Sequence[Any]) -> StoredTurn:
    """A StoredTurn from a row of TURN_COLUMNS."""
    number, question, rewritten, answer, answered, citations, created, verdict, note, judged = row
    return StoredTurn(
        number=number,
        question=question,
        rewritten_question=rewritten,
        answer=answer,
        answered=bool(answered),
        citations=[Citation.model_validate(c) for c in json.loads(citations)],
        created=created,
        feedback=Feedback(verdict=verdict, note=note, created=judged) if verdict else None,
    )


class Rows(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """What the shared code needs of a connection: sqlite3's, or a wrapper of psycopg's."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Rows: ...


class ConversationStore(ABC):
    """Conversations in a database; a backend supplies connections, transactions and its schema."""

    # The backend's database errors: they become ConversationStoreError.
    errors: tuple[type[Exception], ...] = ()
    # Deletes conversations idle since before ?; a backend may lock differently.
    PRUNE_IDLE = "DELETE FROM conversations WHERE updated < ?"

    def __init__(self, where: str, max_turns: int, retention_days: float) -> None:
        self.where = where  # names the database in errors (never with a password)
        self.max_turns = max_turns
        self.retention_days = retention_days
        self._pruned = -math.inf
        self.write_error: str | None = None  # why the last write failed, until one succeeds

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Database]:
        """A write transaction: committed at the end, rolled back on any error."""

    @abstractmethod
    def _connection(self) -> AbstractContextManager[Database]:
        """A connection to read from."""

    @abstractmethod
    def close(self) -> None:
        """Let go of the connections (a store is not used after)."""

    @contextmanager
    def _writing(self) -> Iterator[Database]:
        """A write transaction whose failure is remembered (for /healthz) and said plainly."""
        try:
            with self._transaction() as db:
                yield db
        except self.errors as exc:
            self.write_error = str(exc)
            raise ConversationStoreError(f"conversation database {self.where} cannot be written: {exc}") from exc
        self.write_error = None

    @contextmanager
    def _reading(self) -> Iterator[Database]:
        try:
            with self._connection() as db:
                yield db
        except self.errors as exc:
            raise ConversationStoreError(f"conversation database {self.where} cannot be read: {exc}") from exc

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    @staticmethod
    def _check_owner(db: Database, conversation_id: str, owner: str | None) -> None:
        if db.execute(OWNED, (conversation_id, owner)).fetchone() is None:
            raise ConversationNotFound(conversation_id)

    def turns(self, conversation_id: str, owner: str | None = None, last: int | None = None) -> list[StoredTurn]:
        with self._reading() as db:
            self._check_owner(db, conversation_id, owner)
            limit = last if last is not None else self.max_turns
            rows = db.execute(RECENT_TURNS, (conversation_id, limit)).fetchall()
        return [_stored(row) for row in reversed(rows)]

    def append(self, conversation_id: str, turn: Turn, owner: str | None = None) -> int:
        """Add a turn to `owner`'s conversation, starting it if it is new; the turn's number."""
        citations = json.dumps([c.model_dump() for c in turn.citations], ensure_ascii=False)
        with self._writing() as db:
            self._prune_when_due(db)
            if not db.execute(START_OR_TOUCH, (conversation_id, turn.created, owner, turn.created)).rowcount:
                raise ConversationNotFound(conversation_id)  # someone else's
            number = db.execute(NEXT_NUMBER, (conversation_id,)).fetchone()[0]
            db.execute(
                ADD_TURN,
                (
                    conversation_id,
                    number,
                    turn.question,
                    turn.rewritten_question,
                    turn.answer,
                    turn.answered,
                    citations,
                    turn.created,
                ),
            )
            # Numbers only grow, so a conversation numbered below the cap holds no turn too many:
            # most turns skip a statement (a round trip to PostgreSQL).
            if number >= self.max_turns:
                db.execute(KEEP_LATEST, (conversation_id, conversation_id, self.max_turns))
        return number

    def give_feedback(
        self, conversation_id: str, number: int, verdict: Verdict, note: str, owner: str | None = None
    ) -> Feedback:
        """Keep a reader's verdict on turn `number` of `owner`'s conversation, replacing any earlier one."""
        feedback = Feedback(verdict=verdict, note=note, created=time.time())
        with self._writing() as db:
            self._check_owner(db, conversation_id, owner)
            judged = db.execute(JUDGE, (feedback.verdict, feedback.note, feedback.created, conversation_id, number))
            if not judged.rowcount:
                raise TurnNotFound(f"{conversation_id} turn {number}")  # never asked, or pruned
        return feedback

    def not_helpful_since(self, since: float) -> list[JudgedTurn]:
        """Every kept turn, of anyone's conversation, judged not helpful at or after Unix time
        `since`, oldest verdict first."""
        conversations: dict[str, list[StoredTurn]] = {}
        with self._reading() as db:
            for conversation_id, *row in db.execute(JUDGED_CONVERSATIONS, (since,)):
                conversations.setdefault(conversation_id, []).append(_stored(row))
        judged = [
            JudgedTurn(conversation_id=conversation_id, turn=turn, earlier=[t.question for t in turns[:i]])
            for conversation_id, turns in conversations.items()
            for i, turn in enumerate(turns)
            if turn.feedback and turn.feedback.verdict == "not_helpful" and turn.feedback.created >= since
        ]
        return sorted(judged, key=lambda j: j.turn.feedback.created if j.turn.feedback else 0)

    def _prune_when_due(self, db: Database) -> None:
        # One indexed DELETE (turns follow by cascade), at most every PRUNE_EVERY_S.
        if not self.retention_days or time.monotonic() - self._pruned < PRUNE_EVERY_S:
            return
        self._pruned = time.monotonic()
        db.execute(self.PRUNE_IDLE, (time.time() - self.retention_days * DAY_S,))


def open_conversations(settings: "Settings") -> ConversationStore:
    """The configured store: PostgreSQL at `database_url` when set, else the SQLite file."""
    # Imported here: both modules build on this one, and psycopg is loaded only when used.
    options = settings.conversations
    kept, retention = options.max_kept_turns, options.conversation_retention_days
    if options.database_url:
        from service.conversations_postgres import PostgresConversationStore

        return PostgresConversationStore(options.database_url, kept, retention)
    from service.conversations_sqlite import SQLiteConversationStore

    return SQLiteConversationStore(settings.conversations_path, kept, retention)
