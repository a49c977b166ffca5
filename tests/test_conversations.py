"""Conversations over the real API: memory, follow-up rewriting, persistence, streaming."""

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from service.conversations import ConversationNotFound, ConversationStoreError, Turn, TurnNotFound
from service.conversations_sqlite import MIGRATIONS, SQLiteConversationStore
from tests.conftest import CNN, MEDUZA, TURNS_BEFORE_FEEDBACK, ask, client_for, fill, small_disk

# The store-level tests run on SQLite and on a real PostgreSQL server (`backend`).
pytest_plugins = ["tests.conversation_backends"]
if TYPE_CHECKING:  # imported by pytest as a plugin: importing it first would skip its assert rewriting
    from tests.conversation_backends import Backend


def speakers(body: dict) -> set[str]:
    return {c["speaker"].split()[-1] for c in body["citations"] if c["speaker"]}


def test_a_new_person_with_it_keeps_the_topic(http: httpx.Client) -> None:
    first = ask(http, "What did Stoltenberg say about Ukraine's membership?")
    follow = ask(http, "And what did Grushko say about it?", conversation_id=first["conversation_id"])
    assert follow["rewritten_question"] == "What did Grushko say about Ukraine's membership?"
    assert follow["answered"] and speakers(follow) == {"Grushko"}
    assert {(c["source"], c["line_start"]) for c in follow["citations"]} & {(CNN, 13), (CNN, 14)}


def test_a_pronoun_means_the_last_person(http: httpx.Client) -> None:
    first = ask(http, "What did Stoltenberg say about Ukraine's membership?")
    follow = ask(http, "What did he say about sanctions?", conversation_id=first["conversation_id"])
    assert follow["rewritten_question"] == "What did Stoltenberg say about sanctions?"
    assert follow["answered"] and speakers(follow) == {"Stoltenberg"}
    assert any("sanctions" in c["quote"] for c in follow["citations"])


@pytest.mark.parametrize(
    ("first", "then", "expected"),
    [
        (
            "What did Grushko say about NATO expansion?",
            "What about Stoltenberg?",
            "What did Stoltenberg say about NATO expansion?",
        ),
        (
            "What did Grushko say about NATO expansion?",
            "What about the Minsk agreements?",
            "What did Grushko say about the Minsk agreements?",
        ),
        (
            "What did Stoltenberg say about sanctions?",
            "Is he ready to meet Russia again?",
            "Is Stoltenberg ready to meet Russia again?",
        ),
        ("What is the capital of Australia?", "Who contributed reporting?", "Who contributed reporting?"),
    ],
)
def test_rewrites(http: httpx.Client, first: str, then: str, expected: str) -> None:
    body = ask(http, then, conversation_id=ask(http, first)["conversation_id"])
    assert body["rewritten_question"] == expected


def test_a_standalone_question_is_left_alone(http: httpx.Client) -> None:
    body = ask(http, "What did Grushko say about the Minsk agreements?")
    assert body["rewritten_question"] == "What did Grushko say about the Minsk agreements?"


def test_history_is_kept_with_citations_and_unknown_ids_are_404(http: httpx.Client) -> None:
    first = ask(http, "What did Stoltenberg say about Ukraine's membership?")
    cid = first["conversation_id"]
    ask(http, "What about Grushko?", conversation_id=cid)
    stored = http.get(f"/api/conversations/{cid}").json()
    assert [t["question"] for t in stored["turns"]] == [
        "What did Stoltenberg say about Ukraine's membership?",
        "What about Grushko?",
    ]
    assert stored["turns"][0]["citations"] == first["citations"]
    assert stored["turns"][0]["answer"] == first["answer"]
    assert http.get("/api/conversations/nope").status_code == 404
    assert http.get("/api/conversations/bad%20id!").status_code == 422


def read_events(response: httpx.Response) -> list[tuple[str, dict]]:
    events, name = [], "message"
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            events.append((name, json.loads(line.split(":", 1)[1])))
            name = "message"
    return events


def test_streaming_answer_then_done(http: httpx.Client) -> None:
    with http.stream("POST", "/api/ask/stream", json={"question": "What did Stoltenberg say about sanctions?"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = read_events(r)
    kinds = [k for k, _ in events]
    assert kinds[-1] == "done" and kinds.count("delta") >= 3 and set(kinds) == {"delta", "done"}
    done = events[-1][1]
    assert "".join(e["text"] for k, e in events if k == "delta") == done["answer"]
    assert done["answered"] and done["citations"] and done["conversation_id"]
    assert ask(http, "What about Grushko?", conversation_id=done["conversation_id"])["rewritten_question"].startswith(
        "What did Grushko"
    )


def test_streaming_errors_arrive_as_an_error_event(http: httpx.Client) -> None:
    with http.stream("POST", "/api/ask/stream", json={"question": "Hi?", "conversation_id": "missing"}) as r:
        assert r.status_code == 200 and read_events(r) == [("error", {"status": 404, "detail": "no such conversation"})]
    # A request the schema rejects never starts a stream: a plain 422.
    invalid = http.post("/api/ask/stream", json={"question": "  "})
    assert invalid.status_code == 422 and invalid.json() == {"detail": "question must not be empty"}


def test_a_client_that_disconnects_does_not_break_the_server(http: httpx.Client) -> None:
    with http.stream("POST", "/api/ask/stream", json={"question": "What did Grushko say about NATO expansion?"}) as r:
        next(r.iter_lines())  # read one line, then hang up
    assert http.get("/healthz").status_code == 200


def turn(question: str, created: float = 0) -> Turn:
    return Turn(
        question=question, rewritten_question=question, answer="a", answered=True, citations=[], created=created
    )


def test_store_bounds_history_and_survives_concurrent_writers(backend: "Backend") -> None:
    store = backend.open(max_turns=5)
    cid = store.new_id()
    threads = [
        threading.Thread(target=lambda i=i: [store.append(cid, turn(f"q{i}-{j}")) for j in range(10)]) for i in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.turns(cid)) == 5 and len(store.turns(cid, last=2)) == 2
    assert [t.number for t in store.turns(cid)] == [35, 36, 37, 38, 39]  # one number each, never reused


def test_feedback_replaces_the_last_and_needs_the_owners_kept_turn(backend: "Backend") -> None:
    store = backend.open(max_turns=2)
    assert [store.append("c", turn(f"q{i}?"), owner="me") for i in range(3)] == [0, 1, 2]
    store.give_feedback("c", 2, "not_helpful", "wrong", owner="me")
    changed = store.give_feedback("c", 2, "helpful", "", owner="me")
    assert [(t.number, t.feedback) for t in store.turns("c", "me")] == [(1, None), (2, changed)]
    for gone in (0, 3):  # pruned, never asked
        with pytest.raises(TurnNotFound):
            store.give_feedback("c", gone, "helpful", "", owner="me")
    with pytest.raises(ConversationNotFound):
        store.give_feedback("c", 2, "helpful", "", owner="someone else")
    with pytest.raises(ConversationNotFound):
        store.turns("c")  # nor is it anyone's without a key


def test_an_unusable_database_is_a_clear_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConversationStoreError, match="corrupt.sqlite3"):
        SQLiteConversationStore(corrupt)


def test_sources_used_by_the_widget(http: httpx.Client) -> None:
    assert http.get(f"/api/sources/{MEDUZA}").status_code == 200


def test_a_conversation_belongs_to_the_key_that_started_it(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    alice, bob = {"authorization": "Bearer key-alice"}, {"authorization": "Bearer key-bob"}
    with client_for(ingested, embedder, tmp_path, api_keys=["key-alice", "key-bob"]) as http:
        cid = http.post("/api/ask", json={"question": "What did Grushko say?"}, headers=alice).json()["conversation_id"]
        assert http.get(f"/api/conversations/{cid}", headers=alice).status_code == 200
        not_found = {"detail": "no such conversation"}
        read = http.get(f"/api/conversations/{cid}", headers=bob)
        assert read.status_code == 404 and read.json() == not_found
        follow = {"question": "What about Stoltenberg?", "conversation_id": cid}
        continued = http.post("/api/ask", json=follow, headers=bob)
        assert continued.status_code == 404 and continued.json() == not_found
        with http.stream("POST", "/api/ask/stream", json=follow, headers=bob) as streamed:
            assert read_events(streamed) == [("error", {"status": 404, **not_found})]
        assert http.post("/api/ask", json=follow, headers=alice).status_code == 200
        turns = http.get(f"/api/conversations/{cid}", headers=alice).json()["turns"]
        assert [t["question"] for t in turns] == ["What did Grushko say?", "What about Stoltenberg?"]
    store = SQLiteConversationStore(tmp_path / "c.db")
    with pytest.raises(ConversationNotFound):
        store.turns(cid)  # nor is it anyone's without a key
    assert "key-alice" not in (tmp_path / "c.db").read_bytes().decode("latin-1")  # only a digest is stored


def legacy_database(path: Path, conversation_id: str) -> None:
    """A conversation file as citeline wrote it before conversations had owners."""
    db = sqlite3.connect(path)
    db.executescript("CREATE TABLE conversations (id TEXT PRIMARY KEY, created REAL NOT NULL);" + TURNS_BEFORE_FEEDBACK)
    now = time.time()
    db.execute("INSERT INTO conversations VALUES (?, ?)", (conversation_id, now - 3600))
    db.execute("INSERT INTO turns VALUES (NULL, ?, 'Hi?', 'Hi?', 'Hello.', 1, '[]', ?)", (conversation_id, now))
    db.commit()
    db.close()


def test_a_database_from_before_owners_is_migrated(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    legacy_database(tmp_path / "c.db", "old-one")
    # Its conversations belong to no key: open without keys, hidden once keys are required.
    with client_for(ingested, embedder, tmp_path) as http:
        assert [t["question"] for t in http.get("/api/conversations/old-one").json()["turns"]] == ["Hi?"]
    with client_for(ingested, embedder, tmp_path, api_keys=["k"]) as http:
        assert http.get("/api/conversations/old-one", headers={"authorization": "Bearer k"}).status_code == 404
    db = sqlite3.connect(tmp_path / "c.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    updated = db.execute("SELECT updated FROM conversations WHERE id = 'old-one'").fetchone()[0]
    assert abs(updated - time.time()) < 600  # its last turn, not its start: idle since then


def test_conversations_idle_past_retention_are_deleted(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    days = 86_400
    for folder, retention, old_kept in (("pruned", 30, False), ("forever", 0, True)):
        path = tmp_path / folder / "c.db"
        writer = SQLiteConversationStore(path)  # keeps everything
        writer.append("old", turn("Long ago?", created=time.time() - 40 * days))
        writer.append("recent", turn("Lately?", created=time.time() - 29 * days))
        with client_for(
            ingested, embedder, tmp_path, conversations_db=path, conversation_retention_days=retention
        ) as http:
            ask(http, "What did Grushko say?")  # a new conversation is written: the store prunes first
            assert http.get("/api/conversations/recent").status_code == 200
            assert (http.get("/api/conversations/old").status_code == 200) is old_kept


def test_pruning_is_at_most_every_few_minutes_and_takes_the_turns(backend: "Backend") -> None:
    store = backend.open(retention_days=1)
    store.append("a", turn("now?", created=time.time()))  # pruned here: nothing was old yet
    store.append("b", turn("old?", created=time.time() - 2 * 86_400))
    assert len(store.turns("b")) == 1  # not pruned again so soon
    backend.open(retention_days=1).append("c", turn("later?", created=time.time()))  # another process
    with pytest.raises(ConversationNotFound):
        store.turns("b")
    assert backend.query("SELECT count(*) FROM turns WHERE conversation_id = 'b'") == [(0,)]
    assert [t.question for t in store.turns("a")] == ["now?"]


def test_a_turn_cannot_be_added_to_someone_elses_conversation(backend: "Backend") -> None:
    store = backend.open()
    store.append("c1", turn("mine?"), owner="digest-a")
    with pytest.raises(ConversationNotFound):
        store.append("c1", turn("yours?"), owner="digest-b")
    assert [t.question for t in store.turns("c1", "digest-a")] == ["mine?"]


def test_a_full_disk_still_answers_says_it_was_not_saved_and_degrades_health(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        small_disk(tmp_path / "disk") as disk,
        client_for(ingested, embedder, tmp_path, conversations_db=disk / "c.db") as http,
    ):
        first = ask(http, "What did Stoltenberg say about Ukraine's membership?")
        assert first["saved"] and http.get("/healthz").json()["status"] == "ok"
        filler = fill(disk)

        follow = ask(http, "What about Grushko?", conversation_id=first["conversation_id"])
        assert follow["answered"] and follow["citations"] and follow["saved"] is False
        assert ask(http, "What did Grushko say about NATO expansion?")["saved"] is False
        errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert errors and all("database or disk is full" in e for e in errors)
        assert "cannot rollback" not in caplog.text
        health = http.get("/healthz")
        assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert "disk is full" in health.json()["conversations"]
        assert 'citeline_answers_total{outcome="not_saved"} 2.0' in http.get("/metrics").text
        turns = http.get(f"/api/conversations/{first['conversation_id']}").json()["turns"]
        assert len(turns) == 1  # what was saved is intact

        filler.unlink()
        assert ask(http, "What about Grushko?", conversation_id=first["conversation_id"])["saved"]
        assert http.get("/healthz").json() | {"units": 0} == {
            "status": "ok",
            "units": 0,
            "store": "embedded",
            "conversations": "ok",
            "detail": "",
        }
