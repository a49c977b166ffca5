"""The `citeline` command as a user runs it, and what a running service says about its store."""

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import UnitStore
from service.app import create_app
from service.pipeline import Pipeline
from tests.conftest import CORPUS, MEDUZA, citeline, citeline_serve, cli_env, free_port, make_settings
from tests.conftest import serve as serve_app


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return citeline(cli_env(settings), *args, timeout=120)


def test_ask_prints_answer_and_source_lines(ingested: Settings) -> None:
    result = run_cli(ingested, "ask", "What did Stoltenberg say about Ukraine's membership?")
    assert result.returncode == 0, result.stderr
    assert "Stoltenberg" in result.stdout and f"{MEDUZA}:6" in result.stdout


def test_ask_json_matches_the_api_contract(ingested: Settings) -> None:
    result = run_cli(ingested, "ask", "--json", "What is the capital of Australia?")
    body = json.loads(result.stdout)
    assert body["answered"] is False and body["citations"] == []
    assert {"answer", "answered", "citations", "conversation_id"} <= set(body)


def test_ask_rejects_an_empty_question_cleanly(ingested: Settings) -> None:
    result = run_cli(ingested, "ask", "   ")
    assert result.returncode == 1 and "must not be empty" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_missing_corpus_folder_stops_ask_and_serve(ingested: Settings, tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    for command in (("ask", "What did Grushko say?"), ("serve",)):
        result = run_cli(ingested, *command, "--corpus", str(missing))
        assert result.returncode == 1, result
        assert result.stderr.strip() == f"citeline {command[0]}: corpus folder not found: {missing}"


def test_a_port_outside_the_tcp_range_is_a_usage_error(ingested: Settings) -> None:
    for port in ("0", "65536", "99999", "-1"):
        result = run_cli(ingested, "serve", "--port", port)
        assert result.returncode == 2 and "must be a whole number from 1 to 65535" in result.stderr


def test_invalid_settings_are_reported_not_raised(ingested: Settings) -> None:
    env = {**os.environ, "CITELINE_TOP_K": "many"}
    result = citeline(env, "ask", "hi?", timeout=60)
    assert result.returncode == 1 and "CITELINE_TOP_K" in result.stderr and "Traceback" not in result.stderr


def test_serve_with_an_unusable_conversation_database_says_so(ingested: Settings, tmp_path) -> None:  # noqa: ANN001
    corrupt = tmp_path / "conversations.sqlite3"
    corrupt.write_bytes(b"not a database at all" * 200)
    env = cli_env(ingested, CITELINE_CONVERSATIONS_DB=str(corrupt))
    result = citeline(env, "serve", "--port", "1", timeout=120)
    assert result.returncode == 1 and "conversations.sqlite3 is unusable" in result.stderr
    assert "Traceback" not in result.stderr


def test_ingest_waits_its_turn_while_a_service_reads_the_embedded_store(ingested: Settings) -> None:
    with citeline_serve(cli_env(ingested)):
        refused = run_cli(ingested, "ingest", "--quiet")
        assert refused.returncode == 1, refused.stdout
        assert "another citeline process" in refused.stderr and "Traceback" not in refused.stderr
        assert run_cli(ingested, "ask", "What did Stoltenberg say about Ukraine's membership?").returncode == 0
    after = run_cli(ingested, "ingest", "--quiet")
    assert after.returncode == 0 and "no changes" in after.stdout


def test_a_store_removed_under_the_service_is_reported_and_stays_locked(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, tmp_path / "corpus")
    shutil.copytree(CORPUS, settings.store.corpus_dir)
    assert run_cli(settings, "ingest", "--quiet").returncode == 0
    with citeline_serve(cli_env(settings)) as (url, _):
        shutil.rmtree(settings.store.chroma_path)
        health = httpx.get(f"{url}/healthz")
        assert health.status_code == 503 and health.json()["status"] == "degraded"
        assert "unavailable" in health.json()["detail"]
        asked = httpx.post(f"{url}/api/ask", json={"question": "What did Stoltenberg say?"}, timeout=60)
        assert asked.status_code == 503 and "unavailable" in asked.json()["detail"]
        refused = run_cli(settings, "ingest", "--quiet")  # the service still holds the store
        assert refused.returncode == 1 and "another citeline process" in refused.stderr


def test_an_empty_index_is_not_healthy(tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    (tmp_path / "corpus").mkdir()
    settings = make_settings(tmp_path, tmp_path / "corpus")
    with serve_app(create_app(Pipeline(settings, UnitStore(settings), embedder))) as url:
        health = httpx.get(f"{url}/healthz")
        assert health.status_code == 503 and health.json()["units"] == 0
        assert "index is empty" in health.json()["detail"]
        assert httpx.post(f"{url}/api/ask", json={"question": "Anything?"}).status_code == 503


@contextmanager
def read_only(target: Path, contents: Path | None) -> Iterator[Path]:
    """`target` mounted read-only (as root, chmod would not stop a write): an empty tmpfs, or a
    bind mount of `contents`."""
    target.mkdir()
    if contents is None:
        command = ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)]
    else:
        command = ["mount", "--bind", "-o", "ro", str(contents), str(target)]
    mounted = subprocess.run(command, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only folder here ({' '.join(command[:3])}): {mounted.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", str(target)], check=True)


@pytest.mark.parametrize("contents", ["empty", "ingested"])
def test_a_read_only_data_folder_is_one_clear_message(ingested: Settings, tmp_path: Path, contents: str) -> None:
    source = None
    if contents == "ingested":
        source = tmp_path / "copy"
        # Copied by another process: closing a copy of an SQLite file this process has open
        # would drop this process's POSIX locks on it (and break the session's databases).
        subprocess.run(["cp", "-a", str(ingested.store.data_dir), str(source)], check=True)
    with read_only(tmp_path / "data", source) as data:
        env = cli_env(ingested, CITELINE_DATA_DIR=str(data))
        commands = (["ingest", "--quiet"], ["ask", "Who contributed reporting?"], ["serve", "--port", str(free_port())])
        for args in commands:
            result = citeline(env, *args, timeout=120)
            assert result.returncode == 1, (args, result.stdout)
            assert result.stderr.startswith(f"citeline {args[0]}: cannot write to the data folder {data / 'chroma'}")
            assert "Read-only file system" in result.stderr and "CITELINE_DATA_DIR" in result.stderr
            assert result.stderr.count("\n") == 1, result.stderr  # one message, no traceback
