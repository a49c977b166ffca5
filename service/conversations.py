"""Conversation history in an embedded SQLite database, with each answer's citations.

WAL mode and a short busy timeout let several threads (and processes) write safely. Each
conversation keeps at most `max_turns` turns; older ones are pruned as new ones arrive. A
conversation belongs to whoever started it (`owner`: the digest of their API key, None without
keys); to anyone else it does not exist. Conversations idle for `retention_days` are deleted by
whichever write comes along, at most every PRUNE_EVERY_S in a process.

Each turn has a number, counted from 0 at the conversation's first turn and never reused: it
names the turn to readers' feedback (the latest verdict on a turn is kept, with its time and an
optional note) and stays the same when older turns are pruned.
"""

import json
import math
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import BaseModel

from service.schemas import Citation, Feedback, Verdict

# Step i takes a database from PRAGMA user_version i to i + 1; a new database takes them all.
MIGRATIONS = [
    [
        "CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, created REAL NOT NULL)",
        """CREATE TABLE IF NOT EXISTS turns (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            question TEXT NOT NULL,
            rewritten_question TEXT NOT NULL,
            answer TEXT NOT NULL,
            answered INTEGER NOT NULL,
            citations TEXT NOT NULL,
            created REAL NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, seq)",
    ],
    [
        # Conversations from before owners belong to no key: only a caller without one sees them.
        "ALTER TABLE conversations ADD COLUMN owner TEXT",
        "ALTER TABLE conversations ADD COLUMN updated REAL NOT NULL DEFAULT 0",
        "UPDATE conversations SET updated = max(created, coalesce("
        "(SELECT max(created) FROM turns WHERE conversation_id = conversations.id), 0))",
        "CREATE INDEX conversations_by_updated ON conversations(updated)",
    ],
    [
        # Turns already stored are numbered in the order they were asked.
        "ALTER TABLE turns ADD COLUMN number INTEGER NOT NULL DEFAULT 0",
        "UPDATE turns SET number = (SELECT count(*) FROM turns AS earlier "
        "WHERE earlier.conversation_id = turns.conversation_id AND earlier.seq < turns.seq)",
        "CREATE UNIQUE INDEX turns_by_number ON turns(conversation_id, number)",
        "ALTER TABLE turns ADD COLUMN verdict TEXT",
        "ALTER TABLE turns ADD COLUMN note TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE turns ADD COLUMN judged REAL",
        "CREATE INDEX turns_by_verdict ON turns(verdict, judged)",
    ],
]
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
    """The database cannot be opened (a clear start-up error) or written (said, never silent)."""


TURN_COLUMNS = "number, question, rewritten_question, answer, answered, citations, created, verdict, note, judged"


def _stored(row: tuple) -> StoredTurn:
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


class ConversationStore:
    def __init__(self, path: Path, max_turns: int = 50, retention_days: float = 0) -> None:
        self.path = Path(path)
        self.max_turns = max_turns
        self.retention_days = retention_days
        self._pruned = -math.inf
        self.write_error: str | None = None  # why the last write failed, until one succeeds
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except (sqlite3.Error, OSError) as exc:
            raise ConversationStoreError(f"conversation database {self.path} is unusable: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk): a second ROLLBACK
            # would fail, and its "no transaction is active" would replace the real error.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """A write transaction whose failure is remembered (for /healthz) and said plainly."""
        try:
            with self._transaction() as db:
                yield db
        except (sqlite3.Error, OSError) as exc:
            self.write_error = str(exc)
            raise ConversationStoreError(f"conversation database {self.path} cannot be written: {exc}") from exc
        self.write_error = None

    def _migrate(self) -> None:
        with self._transaction() as db:  # one process migrates; the others wait, then find it done
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version < len(MIGRATIONS):
                for statement in (s for step in MIGRATIONS[version:] for s in step):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    @staticmethod
    def _check_owner(db: sqlite3.Connection, conversation_id: str, owner: str | None) -> None:
        owned = db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner IS ?", (conversation_id, owner))
        if owned.fetchone() is None:
            raise ConversationNotFound(conversation_id)

    def turns(self, conversation_id: str, owner: str | None = None, last: int | None = None) -> list[StoredTurn]:
        db = self._connect()
        self._check_owner(db, conversation_id, owner)
        rows = db.execute(
            f"SELECT {TURN_COLUMNS} FROM turns WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?",
            (conversation_id, last if last is not None else self.max_turns),
        ).fetchall()
        return [_stored(row) for row in reversed(rows)]

    def append(self, conversation_id: str, turn: Turn, owner: str | None = None) -> int:
        """Add a turn to `owner`'s conversation, starting it if it is new; the turn's number."""
        citations = json.dumps([c.model_dump() for c in turn.citations], ensure_ascii=False)
        with self._writing() as db:
            self._prune_when_due(db)
            started = db.execute(
                "INSERT INTO conversations (id, created, owner, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated WHERE owner IS excluded.owner",
                (conversation_id, turn.created, owner, turn.created),
            )
            if not started.rowcount:
                raise ConversationNotFound(conversation_id)  # someone else's
            number = db.execute(
                "SELECT coalesce(max(number) + 1, 0) FROM turns WHERE conversation_id = ?", (conversation_id,)
            ).fetchone()[0]
            db.execute(
                "INSERT INTO turns (conversation_id, number, question, rewritten_question, answer, answered,"
                " citations, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    number,
                    turn.question,
                    turn.rewritten_question,
                    turn.answer,
                    int(turn.answered),
                    citations,
                    turn.created,
                ),
            )
            db.execute(
                "DELETE FROM turns WHERE conversation_id = ? AND seq NOT IN "
                "(SELECT seq FROM turns WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?)",
                (conversation_id, conversation_id, self.max_turns),
            )
        return number

    def give_feedback(
        self, conversation_id: str, number: int, verdict: Verdict, note: str, owner: str | None = None
    ) -> Feedback:
        """Keep a reader's verdict on turn `number` of `owner`'s conversation, replacing any earlier one."""
        feedback = Feedback(verdict=verdict, note=note, created=time.time())
        with self._writing() as db:
            self._check_owner(db, conversation_id, owner)
            judged = db.execute(
                "UPDATE turns SET verdict = ?, note = ?, judged = ? WHERE conversation_id = ? AND number = ?",
                (feedback.verdict, feedback.note, feedback.created, conversation_id, number),
            )
            if not judged.rowcount:
                raise TurnNotFound(f"{conversation_id} turn {number}")  # never asked, or pruned
        return feedback

    def not_helpful_since(self, since: float) -> list[JudgedTurn]:
        """Every kept turn, of anyone's conversation, judged not helpful at or after Unix time
        `since`, oldest verdict first."""
        # One statement, so that the turns and their conversations are read from one snapshot.
        rows = self._connect().execute(
            f"SELECT conversation_id, {TURN_COLUMNS} FROM turns WHERE conversation_id IN "
            "(SELECT conversation_id FROM turns WHERE verdict = 'not_helpful' AND judged >= ?) "
            "ORDER BY conversation_id, number",
            (since,),
        )
        conversations: dict[str, list[StoredTurn]] = {}
        for conversation_id, *row in rows:
            conversations.setdefault(conversation_id, []).append(_stored(tuple(row)))
        judged = [
            JudgedTurn(conversation_id=conversation_id, turn=turn, earlier=[t.question for t in turns[:i]])
            for conversation_id, turns in conversations.items()
            for i, turn in enumerate(turns)
            if turn.feedback and turn.feedback.verdict == "not_helpful" and turn.feedback.created >= since
        ]
        return sorted(judged, key=lambda j: j.turn.feedback.created if j.turn.feedback else 0)

    def _prune_when_due(self, db: sqlite3.Connection) -> None:
        # One indexed DELETE (turns follow by cascade), at most every PRUNE_EVERY_S.
        if not self.retention_days or time.monotonic() - self._pruned < PRUNE_EVERY_S:
            return
        self._pruned = time.monotonic()
        db.execute("DELETE FROM conversations WHERE updated < ?", (time.time() - self.retention_days * DAY_S,))
