"""Conversations in PostgreSQL, on a real server the tests start (tests/conversation_backends.py):
what only a shared database has to get right (several services at once, a server that is away),
and two real services continuing one conversation. The behaviour both backends share is tested
on both in tests/test_conversations.py and tests/test_feedback.py."""

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
import pytest

from eval.feedback import drafts
from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from service import conversations_postgres
from service.conversations import ConversationStoreError, Turn, open_conversations
from service.conversations_postgres import MIGRATIONS, PostgresConversationStore
from service.conversations_sqlite import SQLiteConversationStore
from tests.conftest import ask, client_for, free_port

pytest_plugins = ["tests.conversation_backends"]
if TYPE_CHECKING:  # imported by pytest as a plugin: importing it first would skip its assert rewriting
    from tests.conversation_backends import PostgresServer


def turn(question: str) -> Turn:
    return Turn(
        question=question, rewritten_question=question, answer="a", answered=True, citations=[], created=time.time()
    )


def at_once(count: int, work: Callable[[int], Any]) -> list[Any]:
    """`work(i)` for i in range(count), each in its own thread, started together; their results
    (an exception raised is the result)."""
    start, results = threading.Barrier(count), [None] * count

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def test_two_services_appending_to_one_conversation_get_consecutive_numbers(postgres: "PostgresServer") -> None:
    url = postgres.new_database()
    services = [PostgresConversationStore(url, max_turns=100) for _ in range(2)]
    try:
        # Four writers, two through each service, ten turns each, all on one new conversation.
        numbers = at_once(4, lambda i: [services[i % 2].append("shared", turn(f"w{i}-{j}?")) for j in range(10)])
        assert not [n for n in numbers if isinstance(n, Exception)], numbers
        assert sorted(n for per_writer in numbers for n in per_writer) == list(range(40))
        for store in services:
            turns = store.turns("shared")
            assert [t.number for t in turns] == list(range(40))
            assert {t.question for t in turns} == {f"w{i}-{j}?" for i in range(4) for j in range(10)}
        for per_writer in numbers:  # each writer's turns in the order it wrote them
            assert per_writer == sorted(per_writer)
    finally:
        for store in services:
            store.close()


def test_services_starting_together_migrate_once(postgres: "PostgresServer") -> None:
    url = postgres.new_database()
    stores = at_once(4, lambda _: PostgresConversationStore(url))
    assert all(isinstance(s, PostgresConversationStore) for s in stores), stores
    with psycopg.connect(url) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
    stores[0].append("c", turn("one?"))
    assert [t.question for t in stores[3].turns("c")] == ["one?"]
    later = PostgresConversationStore(url)  # finds it done: nothing run twice
    assert [t.question for t in later.turns("c")] == ["one?"]
    for store in [*stores, later]:
        store.close()


def test_an_unreachable_server_is_a_clear_error_without_the_password(tmp_path: Path) -> None:
    url = f"postgresql://citeline:s3cret-pw@127.0.0.1:{free_port()}/citeline"
    with pytest.raises(ConversationStoreError) as caught:
        open_conversations(Settings.read(data_dir=tmp_path, database_url=url))
    said = str(caught.value)
    assert said.startswith(f"conversation database postgresql://citeline:***@127.0.0.1:{url.rsplit(':', 1)[1]}")
    assert "unreachable" in said and "Connection refused" in said
    assert "s3cret-pw" not in said and "s3cret-pw" not in repr(caught.value.__cause__)
    assert not (tmp_path / "conversations.sqlite3").exists()  # no fallback to SQLite behind one's back


def test_without_a_url_conversations_stay_in_sqlite(tmp_path: Path) -> None:
    store = open_conversations(Settings.read(data_dir=tmp_path))
    assert isinstance(store, SQLiteConversationStore) and store.path == tmp_path / "conversations.sqlite3"
    store.close()


def test_a_server_that_goes_away_fails_writes_plainly_and_they_resume_when_it_is_back(
    own_postgres: "PostgresServer", monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(conversations_postgres, "WAIT_S", 1.0)  # fail sooner than a service would
    store = PostgresConversationStore(own_postgres.url("citeline"))
    try:
        assert store.append("c", turn("before?")) == 0 and store.write_error is None
        own_postgres.stop()
        with pytest.raises(ConversationStoreError, match="cannot be written"):
            store.append("c", turn("during?"))
        assert store.write_error  # what /healthz reports
        with pytest.raises(ConversationStoreError, match="cannot be read"):
            store.turns("c")

        own_postgres.start()
        deadline = time.monotonic() + 60
        while True:  # the pool reconnects on its own, within seconds
            try:
                number = store.append("c", turn("after?"))
                break
            except ConversationStoreError:
                assert time.monotonic() < deadline, "writes did not resume"
        assert number == 1 and store.write_error is None
        assert [t.question for t in store.turns("c")] == ["before?", "after?"]
    finally:
        store.close()


def test_two_services_on_one_database_continue_one_conversation(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path, postgres: "PostgresServer"
) -> None:
    url = postgres.new_database()
    with (
        client_for(ingested, embedder, tmp_path / "a", database_url=url) as a,
        client_for(ingested, embedder, tmp_path / "b", database_url=url) as b,
    ):
        first = ask(a, "What did Stoltenberg say about Ukraine's membership?")
        cid = first["conversation_id"]
        follow = ask(b, "And what did Grushko say about it?", conversation_id=cid)
        # B read the turn asked on A: the follow-up is rewritten from it.
        assert follow["rewritten_question"] == "What did Grushko say about Ukraine's membership?"
        assert (first["turn"], follow["turn"]) == (0, 1) and first["saved"] and follow["saved"]
        for service in (a, b):
            turns = service.get(f"/api/conversations/{cid}").json()["turns"]
            assert [t["question"] for t in turns] == [
                "What did Stoltenberg say about Ukraine's membership?",
                "And what did Grushko say about it?",
            ]
            assert turns[0]["citations"] == first["citations"]

        verdict = {"conversation_id": cid, "turn": 1, "verdict": "not_helpful", "note": "his exact words"}
        assert b.post("/api/feedback", json=verdict).status_code == 200
        seen_on_a = a.get(f"/api/conversations/{cid}").json()["turns"][1]["feedback"]
        assert (seen_on_a["verdict"], seen_on_a["note"]) == ("not_helpful", "his exact words")
        assert a.get("/healthz").json()["conversations"] == "ok"
    assert not (tmp_path / "a" / "c.db").exists() and not (tmp_path / "b" / "c.db").exists()  # none in SQLite

    # `citeline eval --from-feedback` reads the same database.
    [exported] = drafts(ingested.updated(database_url=url))
    assert exported.feedback and exported.feedback.note == "his exact words"
    assert (exported.question, exported.history) == (
        "And what did Grushko say about it?",
        ["What did Stoltenberg say about Ukraine's membership?"],
    )
