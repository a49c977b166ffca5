"""Conversation history in an embedded SQLite database, with each answer's citations.

WAL mode and a short busy timeout let several threads (and processes) write safely. Each
conversation keeps at most `max_turns` turns; older ones are pruned as new ones arrive.
"""

import json
import sqlite3
import threading
import time
import uuid
from pathlib import Path

from pydantic import BaseModel

from service.schemas import Citation

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS turns (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    rewritten_question TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered INTEGER NOT NULL,
    citations TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns(conversation_id, seq);
"""


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
    """The database cannot be opened or written: a clear start-up error, never silent loss."""


class ConversationStore:
    def __init__(self, path: Path, max_turns: int = 50) -> None:
        self.path = Path(path)
        self.max_turns = max_turns
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as db:
                db.executescript(SCHEMA)
                db.execute("SELECT count(*) FROM turns").fetchone()
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

    def create(self) -> str:
        conversation_id = uuid.uuid4().hex
        self._connect().execute("INSERT INTO conversations VALUES (?, ?)", (conversation_id, time.time()))
        return conversation_id

    def exists(self, conversation_id: str) -> bool:
        row = self._connect().execute("SELECT 1 FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
        return row is not None

    def turns(self, conversation_id: str, last: int | None = None) -> list[Turn]:
        if not self.exists(conversation_id):
            raise ConversationNotFound(conversation_id)
        rows = (
            self._connect()
            .execute(
                "SELECT question, rewritten_question, answer, answered, citations, created FROM turns "
                "WHERE conversation_id = ? ORDER BY seq DESC LIMIT ?",
                (conversation_id, last if last is not None else self.max_turns),
            )
            .fetchall()
        )
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

    def append(self, conversation_id: str, turn: Turn) -> None:
        db = self._connect()
        citations = json.dumps([c.model_dump() for c in turn.citations], ensure_ascii=False)
        db.execute("BEGIN IMMEDIATE")
        try:
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
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
