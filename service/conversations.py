"""Conversation history in an embedded SQLite database, with each answer's citations.

WAL mode and a short busy timeout let several threads (and processes) write safely. Each
conversation keeps at most `max_turns` turns; older ones are pruned as new ones arrive. A
conversation belongs to whoever started it (`owner`: the digest of their API key, None without
keys); to anyone else it does not exist. Conversations idle for `retention_days` are deleted by
whichever write comes along, at most every PRUNE_EVERY_S in a process.
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

from service.schemas import Citation

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


class ConversationNotFound(Exception):
    pass


class ConversationStoreError(Exception):
    """The database cannot be opened (a clear start-up error) or written (said, never silent)."""


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

    def turns(self, conversation_id: str, owner: str | None = None, last: int | None = None) -> list[Turn]:
        db = self._connect()
        owned = db.execute("SELECT 1 FROM conversations WHERE id = ? AND owner IS ?", (conversation_id, owner))
        if owned.fetchone() is None:
            raise ConversationNotFound(conversation_id)
        rows = db.execute(
            "SELECT question, rewritten_question, answer, answered, citations, created FROM turns "
            "WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?",
            (conversation_id, last if last is not None else self.max_turns),
        ).fetchall()
        return [
            Turn(
                question=q,
                rewritten_question=r,
                answer=a,
                answered=bool(ok),
                citations=[Citation.model_validate(c) for c in json.loads(cites)],
                created=t,
            )
            for q, r, a, ok, cites, t in reversed(rows)
        ]

    def append(self, conversation_id: str, turn: Turn, owner: str | None = None) -> None:
        """Add a turn to `owner`'s conversation, starting it if it is new."""
        try:
            self._append(conversation_id, turn, owner)
        except (sqlite3.Error, OSError) as exc:
            self.write_error = str(exc)
            raise ConversationStoreError(f"conversation database {self.path} cannot be written: {exc}") from exc
        self.write_error = None

    def _append(self, conversation_id: str, turn: Turn, owner: str | None) -> None:
        citations = json.dumps([c.model_dump() for c in turn.citations], ensure_ascii=False)
        with self._transaction() as db:
            self._prune_when_due(db)
            started = db.execute(
                "INSERT INTO conversations (id, created, owner, updated) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET updated = excluded.updated WHERE owner IS excluded.owner",
                (conversation_id, turn.created, owner, turn.created),
            )
            if not started.rowcount:
                raise ConversationNotFound(conversation_id)  # someone else's
            db.execute(
                "INSERT INTO turns (conversation_id, question, rewritten_question, answer, answered, citations,"
                " created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    conversation_id,
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

    def _prune_when_due(self, db: sqlite3.Connection) -> None:
        # One indexed DELETE (turns follow by cascade), at most every PRUNE_EVERY_S.
        if not self.retention_days or time.monotonic() - self._pruned < PRUNE_EVERY_S:
            return
        self._pruned = time.monotonic()
        db.execute("DELETE FROM conversations WHERE updated < ?", (time.time() - self.retention_days * DAY_S,))
