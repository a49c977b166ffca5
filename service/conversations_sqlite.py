"""Conversation history in an embedded SQLite file: the default, for one service (or several on
one host). WAL mode and a short busy timeout let several threads (and processes) write safely.
"""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from service.conversations import ConversationStore, ConversationStoreError

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


class SQLiteConversationStore(ConversationStore):
    errors = (sqlite3.Error, OSError)

    def __init__(self, path: Path, max_turns: int = 50, retention_days: float = 0) -> None:
        super().__init__(str(path), max_turns, retention_days)
        self.path = Path(path)
        self._local = threading.local()  # a connection per thread: sqlite3's are not shared
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._migrate()
        except self.errors as exc:
            raise ConversationStoreError(f"conversation database {self.path} is unusable: {exc}") from exc

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL syncs at checkpoints, not at every commit: a turn survives the
            # process dying, and only a power cut can lose the last few. Every answer writes a
            # turn, and an fsync each was the largest wait of a question under load.
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=10000")
            self._local.db = db
        return db

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        yield self._connect()  # autocommit: each read is its own statement

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._connect()
        db.execute("BEGIN IMMEDIATE")  # the write lock now, not at the first write: no upgrade deadlock
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            # SQLite has already rolled back after some errors (a full disk): a second ROLLBACK
            # would fail, and its "no transaction is active" would replace the real error.
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    def _migrate(self) -> None:
        with self._transaction() as db:  # one process migrates; the others wait, then find it done
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version < len(MIGRATIONS):
                for statement in (s for step in MIGRATIONS[version:] for s in step):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
