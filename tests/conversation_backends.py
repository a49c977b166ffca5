"""Conversation stores on both backends, for tests that hold for either: a real PostgreSQL server
that the tests start themselves on 127.0.0.1 (Debian's binaries, which `make test` installs),
and the SQLite file. A pytest plugin: a test module takes it with
`pytest_plugins = ["tests.conversation_backends"]`, so that one server serves the session.
"""

import os
import pwd
import shutil
import sqlite3
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path
from typing import Any

import psycopg
import pytest

from service.conversations import ConversationStore
from service.conversations_postgres import PostgresConversationStore
from service.conversations_sqlite import SQLiteConversationStore
from tests.conftest import free_port


class PostgresServer:
    """A throw-away PostgreSQL cluster in a temporary folder, on a free port; user "citeline"."""

    def __init__(self, bin_dir: Path, data: Path) -> None:
        self.bin_dir, self.data, self.port = bin_dir, data, free_port()
        # initdb and the server refuse to run as root: as root, they run as Debian's "postgres".
        self._as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as:
            os.chown(data, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", "citeline", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self._as, str(self.bin_dir / tool), *args], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"{tool} failed: {done.stdout}{done.stderr}"

    def start(self) -> None:
        # No fsync: a test cluster need not survive a power cut, and CREATE DATABASE is quicker.
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.data / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://citeline@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """The URL of a new, empty database called `name`."""
        with psycopg.connect(self.url(), autocommit=True) as admin:  # CREATE DATABASE wants no transaction
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def new_database(self) -> str:
        """The URL of a new, empty database: each test its own."""
        return self.create_database(f"t_{uuid.uuid4().hex[:12]}")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running server, stopped and deleted afterwards; the test is skipped without the binaries."""
    found = sorted(glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; `make test` installs it)")
    # In /tmp, not pytest's folder: as root the server runs as "postgres", who cannot enter that.
    data = Path(tempfile.mkdtemp(prefix="citeline-pg-"))
    try:
        server = PostgresServer(Path(found[-1]).parent, data)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        server.create_database("citeline")
        yield server


@pytest.fixture()
def own_postgres() -> Iterator[PostgresServer]:
    """A server of the test's own, to stop and start again (database "citeline")."""
    with postgres_server() as server:
        server.create_database("citeline")
        yield server


class Backend:
    """One conversation database; `open` makes a store on it, as one more service would."""

    def __init__(self, name: str, make: Callable[..., ConversationStore], query: Callable[[str], list]) -> None:
        self.name, self._make, self.query = name, make, query
        self._opened: list[ConversationStore] = []

    def open(self, **options: Any) -> ConversationStore:
        store = self._make(**options)
        self._opened.append(store)
        return store

    def close(self) -> None:
        for store in self._opened:
            store.close()


def sqlite_backend(path: Path) -> Backend:
    def query(sql: str) -> list:
        with sqlite3.connect(path) as db:
            return db.execute(sql).fetchall()

    return Backend("sqlite", lambda **options: SQLiteConversationStore(path, **options), query)


def postgres_backend(url: str) -> Backend:
    def query(sql: str) -> list:
        with psycopg.connect(url) as db:
            return db.execute(sql).fetchall()

    return Backend("postgres", lambda **options: PostgresConversationStore(url, **options), query)


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn, on a database of its own."""
    if request.param == "sqlite":
        made = sqlite_backend(tmp_path / "c.sqlite3")
    else:
        made = postgres_backend(request.getfixturevalue("postgres").new_database())
    yield made
    made.close()
