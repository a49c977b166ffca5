"""Conversation history in PostgreSQL (`CITELINE_DATABASE_URL`), shared by every service that
points at it: a conversation started on one can be continued, read and judged on any other.

The schema is versioned in `schema_version`; a store migrates at start-up under a transaction-
level advisory lock, so services starting together migrate once and the others find it done.
"""

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import conninfo
from psycopg_pool import ConnectionPool

from service.conversations import ConversationStore, ConversationStoreError, Rows

# Step i takes a database from schema_version i to i + 1; a new database takes them all. The
# columns are those of the SQLite schema once migrated, so the shared SQL runs on both.
MIGRATIONS = [
    [
        """CREATE TABLE conversations (
            id text PRIMARY KEY,
            created double precision NOT NULL,
            owner text,
            updated double precision NOT NULL
        )""",
        "CREATE INDEX conversations_by_updated ON conversations (updated)",
        """CREATE TABLE turns (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            conversation_id text NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
            number integer NOT NULL,
            question text NOT NULL,
            rewritten_question text NOT NULL,
            answer text NOT NULL,
            answered boolean NOT NULL,
            citations text NOT NULL,
            created double precision NOT NULL,
            verdict text,
            note text NOT NULL DEFAULT '',
            judged double precision
        )""",
        "CREATE INDEX turns_by_conversation ON turns (conversation_id, seq)",
        # A backstop: the conversation row lock already keeps two appends from one number.
        "CREATE UNIQUE INDEX turns_by_number ON turns (conversation_id, number)",
        "CREATE INDEX turns_by_verdict ON turns (verdict, judged)",
    ],
]
MIGRATION_LOCK = 0x636974656C696E65  # "citeline": the advisory lock key of migrations
POOL_SIZE = 4  # connections a service keeps at most; a request holds one for one transaction
WAIT_S = 5.0  # the longest a request waits for a connection before its write fails (said, not hung)


def redacted(url: str) -> str:
    """`url` without its password, to be shown in errors and logs."""
    parts = urlsplit(url)
    if parts.scheme:
        query = parse_qsl(parts.query, keep_blank_values=True)
        if parts.password is None and all(k != "password" for k, _ in query):
            return url
        host = parts.netloc.rpartition("@")[2]
        netloc = parts.netloc if parts.password is None else f"{parts.username or ''}:***@{host}"
        query = [(k, "***" if k == "password" else v) for k, v in query]
        return urlunsplit(parts._replace(netloc=netloc, query=urlencode(query, safe="*")))
    try:  # a "host=... password=..." connection string
        fields = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(an unreadable connection string)"
    return conninfo.make_conninfo(**{k: ("***" if k == "password" else v) for k, v in fields.items()})


class _Postgres:
    """A psycopg connection that takes the shared SQL's "?" placeholders (it has no "%" in it)."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> Rows:
        return self.connection.execute(sql.replace("?", "%s"), params)


class PostgresConversationStore(ConversationStore):
    errors = (psycopg.Error,)  # PoolTimeout, a connection not had in time, is one too
    # Skips conversations that an append has locked: pruning neither waits for it nor, with two
    # services pruning at once, deadlocks (they would lock the same rows in different orders).
    PRUNE_IDLE = (
        "DELETE FROM conversations WHERE id IN (SELECT id FROM conversations WHERE updated < ? FOR UPDATE SKIP LOCKED)"
    )

    def __init__(self, url: str, max_turns: int = 50, retention_days: float = 0) -> None:
        super().__init__(redacted(url), max_turns, retention_days)
        self._migrate(url)
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=POOL_SIZE,
            timeout=WAIT_S,
            kwargs={"connect_timeout": round(WAIT_S)},
            # A connection the server dropped (a restart) is replaced before use, not failed on.
            check=ConnectionPool.check_connection,
            name="citeline-conversations",
            open=True,
        )

    def _migrate(self, url: str) -> None:
        try:
            connection = psycopg.connect(url, connect_timeout=round(WAIT_S))
        except psycopg.Error as exc:
            raise ConversationStoreError(f"conversation database {self.where} is unreachable: {exc}") from exc
        try:
            with connection:  # one transaction, committed at the end
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                # Created under the lock: two CREATE ... IF NOT EXISTS at once can still collide.
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version "
                    "(one boolean PRIMARY KEY DEFAULT true CHECK (one), version integer NOT NULL)"
                )
                row = connection.execute("SELECT version FROM schema_version").fetchone()
                version = row[0] if row else 0
                if version < len(MIGRATIONS):
                    for statement in (s for step in MIGRATIONS[version:] for s in step):
                        connection.execute(statement)
                    connection.execute(
                        "INSERT INTO schema_version (version) VALUES (%s) "
                        "ON CONFLICT (one) DO UPDATE SET version = excluded.version",
                        (len(MIGRATIONS),),
                    )
        except psycopg.Error as exc:
            raise ConversationStoreError(f"conversation database {self.where} is unusable: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[_Postgres]:
        # The pool's connection block commits at its end and rolls back on an error.
        with self._pool.connection() as connection:
            yield _Postgres(connection)

    def _connection(self) -> AbstractContextManager[_Postgres]:
        return self._transaction()  # psycopg reads in a transaction too; the pool's block ends it

    def close(self) -> None:
        self._pool.close()
