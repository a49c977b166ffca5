"""Readers' feedback: POST /api/feedback over real HTTP into a real SQLite file, the metric, and
the export of "not helpful" answers as draft golden records that `citeline eval --set` takes."""

import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from eval.golden import GoldenSetError, load_set
from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from service.conversations import Turn
from service.conversations_sqlite import MIGRATIONS, SQLiteConversationStore
from tests.conftest import CNN, TURNS_BEFORE_FEEDBACK, ask, citeline, cli_env, client_for, fill, small_disk

# The store-level test of verdicts runs on SQLite and on a real PostgreSQL server (`backend`).
pytest_plugins = ["tests.conversation_backends"]
if TYPE_CHECKING:  # imported by pytest as a plugin: importing it first would skip its assert rewriting
    from tests.conversation_backends import Backend

MEMBERSHIP = "What did Stoltenberg say about Ukraine's membership?"
FOLLOW_UP = "And what did Grushko say about it?"


def give(http: httpx.Client, conversation_id: str, turn: int, verdict: str, **fields: object) -> httpx.Response:
    """POST /api/feedback."""
    return http.post(
        "/api/feedback", json={"conversation_id": conversation_id, "turn": turn, "verdict": verdict, **fields}
    )


def test_a_verdict_is_stored_with_its_turn_and_the_latest_wins(http: httpx.Client) -> None:
    first = ask(http, MEMBERSHIP)
    cid = first["conversation_id"]
    follow = ask(http, FOLLOW_UP, conversation_id=cid)
    assert (first["turn"], follow["turn"]) == (0, 1)

    before = time.time()
    # Kept as questions are: no invisible characters (a NUL, which PostgreSQL cannot store, a
    # bidi override), whitespace collapsed.
    stored = give(http, cid, 1, "not_helpful", note="  It quoted\x00 the  wrong\u202e article. \n")
    assert stored.status_code == 200, stored.text
    body = stored.json()
    assert body | {"created": 0} == {
        "conversation_id": cid,
        "turn": 1,
        "verdict": "not_helpful",
        "note": "It quoted the wrong article.",
        "created": 0,
    }
    assert before <= body["created"] <= time.time()

    turns = http.get(f"/api/conversations/{cid}").json()["turns"]
    assert [t["turn"] for t in turns] == [0, 1]
    assert turns[0]["feedback"] is None
    assert turns[1]["feedback"] == {
        "verdict": "not_helpful",
        "note": "It quoted the wrong article.",
        "created": body["created"],
    }

    changed = give(http, cid, 1, "helpful").json()  # a note is optional
    assert changed["verdict"] == "helpful" and changed["note"] == "" and changed["created"] >= body["created"]
    assert http.get(f"/api/conversations/{cid}").json()["turns"][1]["feedback"] == {
        "verdict": "helpful",
        "note": "",
        "created": changed["created"],
    }


def test_the_streamed_answer_names_its_turn(http: httpx.Client) -> None:
    cid = ask(http, MEMBERSHIP)["conversation_id"]
    request = {"question": FOLLOW_UP, "conversation_id": cid}
    with http.stream("POST", "/api/ask/stream", json=request) as streamed:
        done = [json.loads(line[5:]) for line in streamed.iter_lines() if line.startswith("data:")][-1]
    assert done["turn"] == 1 and done["conversation_id"] == cid
    assert give(http, cid, done["turn"], "not_helpful").status_code == 200


def test_unknown_conversations_and_turns_are_404(http: httpx.Client) -> None:
    cid = ask(http, MEMBERSHIP)["conversation_id"]
    unknown = give(http, "no-such-conversation", 0, "helpful")
    assert unknown.status_code == 404 and unknown.json() == {"detail": "no such conversation"}
    beyond = give(http, cid, 1, "helpful")
    assert beyond.status_code == 404 and beyond.json() == {"detail": "no such turn in this conversation"}
    assert give(http, cid, 1_000_000_000, "helpful").status_code == 404


def test_only_the_key_that_started_a_conversation_may_judge_it(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    alice, bob = {"authorization": "Bearer key-alice"}, {"authorization": "Bearer key-bob"}
    with client_for(ingested, embedder, tmp_path, api_keys=["key-alice", "key-bob"]) as http:
        cid = http.post("/api/ask", json={"question": MEMBERSHIP}, headers=alice).json()["conversation_id"]
        verdict = {"conversation_id": cid, "turn": 0, "verdict": "not_helpful", "note": "bob was here"}
        assert http.post("/api/feedback", json=verdict).status_code == 401
        theirs = http.post("/api/feedback", json=verdict, headers=bob)
        assert theirs.status_code == 404 and theirs.json() == {"detail": "no such conversation"}
        assert http.get(f"/api/conversations/{cid}", headers=alice).json()["turns"][0]["feedback"] is None
        assert http.post("/api/feedback", json=verdict | {"note": ""}, headers=alice).status_code == 200


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"turn": 0, "verdict": "helpful"}, "conversation_id: Field required"),
        ({"conversation_id": "c", "verdict": "helpful"}, "turn: Field required"),
        ({"conversation_id": "c", "turn": 0}, "verdict: Field required"),
        ({"conversation_id": "c", "turn": 0, "verdict": "meh"}, "verdict: Input should be 'helpful' or 'not_helpful'"),
        (
            {"conversation_id": "c", "turn": -1, "verdict": "helpful"},
            "turn: Input should be greater than or equal to 0",
        ),
        ({"conversation_id": "c", "turn": "0", "verdict": "helpful"}, "turn: Input should be a valid integer"),
        ({"conversation_id": "c", "turn": 0.5, "verdict": "helpful"}, "turn: Input should be a valid integer"),
        ({"conversation_id": "c", "turn": 2**70, "verdict": "helpful"}, "turn: Input should be less than or equal to"),
        ({"conversation_id": "c", "turn": True, "verdict": "helpful"}, "turn: Input should be a valid integer"),
        ({"conversation_id": "c d", "turn": 0, "verdict": "helpful"}, "conversation_id: String should match pattern"),
        (
            {"conversation_id": "c", "turn": 0, "verdict": "helpful", "note": "x" * 1001},
            "note: String should have at most 1000",
        ),
        (
            {"conversation_id": "c", "turn": 0, "verdict": "helpful", "note": None},
            "note: Input should be a valid string",
        ),
        (
            {"conversation_id": "c", "turn": 0, "verdict": "helpful", "stars": 5},
            "stars: Extra inputs are not permitted",
        ),
        ([], "the request body must be a JSON object"),
    ],
)
def test_malformed_feedback_is_a_readable_422(http: httpx.Client, body: object, detail: str) -> None:
    response = http.post("/api/feedback", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(detail), response.json()


def test_a_body_that_is_not_json_or_not_unicode_is_a_readable_422(http: httpx.Client) -> None:
    headers = {"content-type": "application/json"}
    broken = http.post("/api/feedback", content=b'{"conversation_id": "c", "turn": 0,', headers=headers)
    assert broken.status_code == 422 and broken.json() == {"detail": "the request body is not valid JSON"}
    surrogate = b'{"conversation_id": "c", "turn": 0, "verdict": "helpful", "note": "\\ud800"}'
    lone = http.post("/api/feedback", content=surrogate, headers=headers)
    assert lone.status_code == 422
    assert lone.json() == {"detail": "note must be valid Unicode text, without unpaired surrogates"}


def test_verdicts_are_counted(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path) as http:
        assert 'citeline_feedback_total{verdict="not_helpful"} 0.0' in http.get("/metrics").text
        cid = ask(http, MEMBERSHIP)["conversation_id"]
        for verdict in ("not_helpful", "helpful", "not_helpful"):
            assert give(http, cid, 0, verdict).status_code == 200
        give(http, cid, 7, "helpful")  # a 404 is no verdict
        metrics = http.get("/metrics").text
    assert 'citeline_feedback_total{verdict="not_helpful"} 2.0' in metrics
    assert 'citeline_feedback_total{verdict="helpful"} 1.0' in metrics


def test_turn_numbers_outlive_pruning(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> None:
    with client_for(ingested, embedder, tmp_path, max_kept_turns=2) as http:
        cid = ask(http, MEMBERSHIP)["conversation_id"]
        for question in ("What did Grushko say about NATO expansion?", "What did Stoltenberg say about sanctions?"):
            ask(http, question, conversation_id=cid)
        turns = http.get(f"/api/conversations/{cid}").json()["turns"]
        assert [t["turn"] for t in turns] == [1, 2]  # turn 0 was pruned: the others keep their numbers
        assert give(http, cid, 0, "helpful").status_code == 404
        assert give(http, cid, 2, "not_helpful").json()["turn"] == 2
        assert http.get(f"/api/conversations/{cid}").json()["turns"][1]["feedback"]["verdict"] == "not_helpful"


def test_feedback_on_a_full_disk_is_a_503_not_a_500(
    ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path
) -> None:
    with (
        small_disk(tmp_path / "disk") as disk,
        client_for(ingested, embedder, tmp_path, conversations_db=disk / "c.db") as http,
    ):
        cid = ask(http, MEMBERSHIP)["conversation_id"]
        filler = fill(disk)
        full = give(http, cid, 0, "not_helpful", note="x" * 1000)
        assert full.status_code == 503, full.text
        assert full.json() == {"detail": "the conversation database cannot be written right now; try again shortly"}
        assert http.get("/healthz").json()["status"] == "degraded"
        assert http.get(f"/api/conversations/{cid}").json()["turns"][0]["feedback"] is None
        filler.unlink()
        assert give(http, cid, 0, "not_helpful").status_code == 200
        assert http.get("/healthz").json()["status"] == "ok"


def database_before_feedback(path: Path) -> None:
    """A conversation file as citeline wrote it before turns had numbers and feedback."""
    db = sqlite3.connect(path)
    db.executescript(
        """
        CREATE TABLE conversations (id TEXT PRIMARY KEY, created REAL NOT NULL, owner TEXT,
                                    updated REAL NOT NULL DEFAULT 0);
        CREATE INDEX conversations_by_updated ON conversations(updated);
        PRAGMA user_version = 2;
        """
        + TURNS_BEFORE_FEEDBACK
    )
    now = time.time()
    for cid in ("one", "two"):
        db.execute("INSERT INTO conversations VALUES (?, ?, NULL, ?)", (cid, now, now))
    for cid, question in (("one", "First?"), ("two", "Other?"), ("one", "Second?"), ("one", "Third?")):
        db.execute("INSERT INTO turns VALUES (NULL, ?, ?, ?, 'A.', 1, '[]', ?)", (cid, question, question, now))
    db.commit()
    db.close()


def test_a_database_from_before_feedback_is_migrated(tmp_path: Path) -> None:
    database_before_feedback(tmp_path / "c.db")
    store = SQLiteConversationStore(tmp_path / "c.db")
    assert [(t.number, t.question, t.feedback) for t in store.turns("one")] == [
        (0, "First?", None),
        (1, "Second?", None),
        (2, "Third?", None),
    ]
    assert [t.number for t in store.turns("two")] == [0]
    store.give_feedback("one", 1, "not_helpful", "why?")
    turn = Turn(question="Fourth?", rewritten_question="Fourth?", answer="A.", answered=True, citations=[], created=0)
    assert store.append("one", turn) == 3
    assert sqlite3.connect(tmp_path / "c.db").execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    [judged] = store.not_helpful_since(0)
    assert (judged.conversation_id, judged.turn.number, judged.earlier) == ("one", 1, ["First?"])


def test_not_helpful_turns_since_a_time(backend: "Backend") -> None:
    store = backend.open()
    turn = lambda q: Turn(question=q, rewritten_question=q, answer="A.", answered=True, citations=[], created=0)  # noqa: E731
    for question in ("a?", "b?", "c?"):
        store.append("x", turn(question), owner="someone")
    store.append("y", turn("d?"))
    store.give_feedback("x", 2, "not_helpful", "wrong", owner="someone")
    store.give_feedback("x", 0, "not_helpful", "", owner="someone")
    store.give_feedback("x", 0, "helpful", "", owner="someone")  # changed its mind: no longer listed
    store.give_feedback("y", 0, "not_helpful", "")
    judged = store.not_helpful_since(0)
    assert [(j.conversation_id, j.turn.number, j.earlier) for j in judged] == [("x", 2, ["a?", "b?"]), ("y", 0, [])]
    assert judged[0].turn.feedback and judged[0].turn.feedback.note == "wrong"
    assert store.not_helpful_since(time.time() + 1) == []


@pytest.fixture()
def judged(ingested: Settings, embedder: MiniLMEmbedding, tmp_path: Path) -> tuple[Path, dict, dict]:
    """A conversation database in which readers judged three answers, two of them not helpful."""
    database = tmp_path / "judged.db"
    with client_for(ingested, embedder, tmp_path, conversations_db=database) as http:
        first = ask(http, MEMBERSHIP)
        follow = ask(http, FOLLOW_UP, conversation_id=first["conversation_id"])
        elsewhere = ask(http, "What is the capital of Australia?")
        give(http, first["conversation_id"], 0, "helpful")
        give(http, follow["conversation_id"], 1, "not_helpful", note="I wanted his exact words")
        give(http, elsewhere["conversation_id"], 0, "not_helpful")
    return database, follow, elsewhere


def test_not_helpful_answers_are_exported_as_drafts(ingested: Settings, judged: tuple, tmp_path: Path) -> None:
    database, follow, elsewhere = judged
    env = cli_env(ingested, CITELINE_CONVERSATIONS_DB=str(database))
    out = tmp_path / "drafts.jsonl"
    exported = citeline(env, "eval", "--from-feedback", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "2 draft(s) from readers' feedback written to" in exported.stderr and exported.stdout == ""
    first, second = load_set(out)
    dump = first.as_json()
    judged_at = dump["feedback"].pop("judged_at")
    cited = dict.fromkeys((c["source"], c["line_start"]) for c in follow["citations"])
    assert dump == {
        "id": f"feedback-{follow['conversation_id']}-1",
        "question": FOLLOW_UP,
        "history": [MEMBERSHIP],
        "answerable": False,
        "gold": [],
        "key_facts": [],
        "traps": [],
        "kind": "feedback-draft",
        "draft": True,
        "feedback": {
            "note": "I wanted his exact words",
            "answer": follow["answer"],
            "rewritten_question": follow["rewritten_question"],
            "cited": [{"source": source, "line": line} for source, line in cited],
        },
    }
    assert judged_at.startswith(datetime.now(UTC).date().isoformat()) and judged_at.endswith("+00:00")
    assert (second.id, second.question, second.history) == (
        f"feedback-{elsewhere['conversation_id']}-0",
        "What is the capital of Australia?",
        [],
    )

    printed = citeline(env, "eval", "--from-feedback", "--since", datetime.now(UTC).date().isoformat())
    assert printed.returncode == 0 and printed.stdout == out.read_text(encoding="utf-8")
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = citeline(env, "eval", "--from-feedback", "--since", tomorrow)
    assert (
        later.returncode == 0
        and later.stdout == ""
        and f"0 draft(s) from readers' feedback since {tomorrow}" in later.stderr
    )


def test_export_mistakes_are_said_plainly(ingested: Settings, tmp_path: Path) -> None:
    env = cli_env(ingested, CITELINE_CONVERSATIONS_DB=str(tmp_path / "none.db"))
    missing = citeline(env, "eval", "--from-feedback")
    assert missing.returncode == 1 and "no conversation database at" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    bad_day = citeline(env, "eval", "--from-feedback", "--since", "2026-13-01")
    assert bad_day.returncode == 2 and "expected a day as YYYY-MM-DD" in bad_day.stderr
    alone = citeline(env, "eval", "--since", "2026-01-01")
    assert alone.returncode == 1 and "--since goes with --from-feedback" in alone.stderr
    for stderr in (missing.stderr, bad_day.stderr, alone.stderr):
        assert "Traceback" not in stderr


def test_a_reviewer_cannot_just_delete_the_draft_marker(tmp_path: Path) -> None:
    path = tmp_path / "half-reviewed.jsonl"
    path.write_text('{"id": "f", "question": "Q?", "answerable": false, "kind": "feedback-draft"}\n', encoding="utf-8")
    with pytest.raises(GoldenSetError, match="needs a kind other than feedback-draft"):
        load_set(path)


def summary_of(out: Path) -> dict:
    [summary] = out.glob("*/summary.json")
    return json.loads(summary.read_text(encoding="utf-8"))


def test_the_export_round_trips_into_citeline_eval(ingested: Settings, judged: tuple, tmp_path: Path) -> None:
    database, _, _ = judged
    env = cli_env(ingested, CITELINE_CONVERSATIONS_DB=str(database))
    drafts = tmp_path / "drafts.jsonl"
    assert citeline(env, "eval", "--from-feedback", "--out", str(drafts)).returncode == 0
    run = ["eval", "--no-peer", "--no-gate", "--quiet"]

    refused = citeline(env, *run, "--out", str(tmp_path / "refused"), "--set", str(drafts))
    assert refused.returncode == 1 and "2 unreviewed draft(s) from readers' feedback" in refused.stderr
    assert "--drafts" in refused.stderr and not (tmp_path / "refused").exists()

    replayed = citeline(env, *run, "--out", str(tmp_path / "replayed"), "--set", str(drafts), "--drafts")
    assert replayed.returncode == 0, replayed.stderr
    assert "2 questions (2 unreviewed drafts among them, asked but not scored)" in replayed.stdout
    summary = summary_of(tmp_path / "replayed")
    assert summary["drafts"] == 2 and summary["systems"]["citeline"]["questions"] == 0
    assert "unreviewed draft: not scored" in next((tmp_path / "replayed").glob("*/report.html")).read_text("utf-8")

    # The review: gold where there is an answer, a refusal where there is none, a real kind each.
    follow_up, capital = (json.loads(line) for line in drafts.read_text(encoding="utf-8").splitlines())
    del follow_up["draft"], capital["draft"]
    follow_up |= {"answerable": True, "gold": [{"source": CNN, "line": 13}, {"source": CNN, "line": 14}]}
    follow_up |= {"kind": "follow-up"}
    capital |= {"kind": "unanswerable"}
    reviewed = tmp_path / "reviewed.jsonl"
    reviewed.write_text("".join(json.dumps(r) + "\n" for r in (follow_up, capital)), encoding="utf-8")

    scored = citeline(env, *run, "--out", str(tmp_path / "scored"), "--set", str(reviewed))
    assert scored.returncode == 0, scored.stderr
    summary = summary_of(tmp_path / "scored")
    ours = summary["systems"]["citeline"]
    assert summary["drafts"] == 0 and ours["questions"] == 2
    assert ours["accuracy"] == 1.0 and ours["followup_success"] == 1.0 and ours["unanswerable_refused"] == 1.0
