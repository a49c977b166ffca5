"""The ingest job against a real embedded Chroma: incremental, idempotent, tolerant of bad files."""

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.job import IngestReport, run_ingest
from ingest.settings import Settings
from ingest.store import UnitStore
from tests.conftest import CNN, CORPUS, MEDUZA, citeline, cli_env, make_settings


class CountingFactory:
    """Hands out the real embedder and counts how often ingest asked for one."""

    def __init__(self, embedder: MiniLMEmbedding) -> None:
        self.embedder = embedder
        self.calls = 0

    def __call__(self) -> MiniLMEmbedding:
        self.calls += 1
        return self.embedder


@pytest.fixture()
def workspace(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    return make_settings(tmp_path, corpus)


def ingest(settings: Settings, factory: CountingFactory) -> IngestReport:
    return run_ingest(settings, UnitStore(settings), factory, progress=False)


def stored(settings: Settings) -> tuple[Counter[str], int, dict]:
    store = UnitStore(settings)
    units = list(store.all_units())
    ids = [u.id for u in units]
    assert len(ids) == len(set(ids)), "duplicate units"
    return Counter(u.source for u in units), store.count(), store.file_records()


def test_first_ingest_then_noop(workspace: Settings, embedder: MiniLMEmbedding) -> None:
    factory = CountingFactory(embedder)
    first = ingest(workspace, factory)
    assert sorted(first.added) == [MEDUZA, CNN] and first.units_written > 40
    per_source, total, records = stored(workspace)
    assert total == first.units_written == sum(r.units for r in records.values())

    again = ingest(workspace, factory)
    assert not again.changed and again.units_written == 0 and again.unchanged == 2
    assert factory.calls == 1, "a no-op re-ingest must not load or call the embedder"
    assert stored(workspace)[1] == total

    # Touched but identical content: still no embedding.
    os.utime(Path(workspace.store.corpus_dir) / MEDUZA)
    assert ingest(workspace, factory).units_written == 0 and factory.calls == 1


def test_changed_file_is_replaced_and_deleted_file_removed(workspace: Settings, embedder: MiniLMEmbedding) -> None:
    factory = CountingFactory(embedder)
    ingest(workspace, factory)
    before, _, _ = stored(workspace)

    path = Path(workspace.store.corpus_dir) / CNN
    path.write_text(path.read_text(encoding="utf-8") + "\nA new closing sentence was added today.", encoding="utf-8")
    report = ingest(workspace, factory)
    assert report.updated == [CNN] and not report.added
    after, total, records = stored(workspace)
    assert after[CNN] == before[CNN] + 1 and after[MEDUZA] == before[MEDUZA]
    texts = [u.text for u in UnitStore(workspace).all_units() if u.source == CNN]
    assert "A new closing sentence was added today." in texts

    path.unlink()
    report = ingest(workspace, factory)
    assert report.deleted == [CNN]
    after, total, records = stored(workspace)
    assert CNN not in after and CNN not in records and total == before[MEDUZA]


def test_bad_files_are_skipped_by_name_and_the_rest_ingested(workspace: Settings, embedder: MiniLMEmbedding) -> None:
    corpus = Path(workspace.store.corpus_dir)
    (corpus / "latin1.txt").write_bytes("Caf\xe9 owners said prices rose.\n".encode("latin-1"))
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (corpus / "nested").mkdir()
    deep = corpus / "nested" / "deep.txt"
    deep.write_text("Headline\nThe minister said the bridge opens in May.", encoding="utf-8")
    report = ingest(workspace, CountingFactory(embedder))
    skipped = {s.source: s.reason for s in report.skipped}
    assert set(skipped) == {"latin1.txt", "empty.txt", "binary.txt"}
    assert "UTF-8" in skipped["latin1.txt"] and "empty" in skipped["empty.txt"] and "binary" in skipped["binary.txt"]
    assert set(report.added) == {MEDUZA, CNN, "nested/deep.txt"}


def test_a_file_that_turns_bad_keeps_what_was_stored(workspace: Settings, embedder: MiniLMEmbedding) -> None:
    factory = CountingFactory(embedder)
    ingest(workspace, factory)
    before, total, _ = stored(workspace)
    (Path(workspace.store.corpus_dir) / CNN).write_bytes(b"\xff\xfe broken")
    report = ingest(workspace, factory)
    assert [s.source for s in report.skipped] == [CNN]
    assert stored(workspace)[0] == before


def test_cli_reports_skips_with_exit_status_3(workspace: Settings) -> None:
    (Path(workspace.store.corpus_dir) / "bad.txt").write_bytes(b"\xff\xfe\xfa not utf-8")
    env = cli_env(workspace, CITELINE_COLLECTION="cli_units")
    first = citeline(env, "ingest", "--quiet")
    assert first.returncode == 3, first.stderr
    assert "bad.txt" in first.stderr and "not valid UTF-8" in first.stderr
    assert "2 added" in first.stdout

    (Path(workspace.store.corpus_dir) / "bad.txt").unlink()
    second = citeline(env, "ingest", "--quiet")
    assert second.returncode == 0 and "nothing embedded" in second.stdout

    missing = citeline(env, "ingest", "--corpus", "/nonexistent/corpus")
    assert missing.returncode == 1 and "corpus folder not found" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_symbolic_links_in_a_loop_are_reported_and_skipped(workspace: Settings, embedder: MiniLMEmbedding) -> None:
    corpus = Path(workspace.store.corpus_dir)
    (corpus / "loop2.txt").symlink_to("loop1.txt")
    (corpus / "loop1.txt").symlink_to("loop2.txt")
    result = citeline(cli_env(workspace), "ingest", "--quiet")
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "2 added" in result.stdout
    assert "skipped loop1.txt: symbolic links in a loop" in result.stderr and "skipped loop2.txt" in result.stderr

    # An ingested article that turns into a loop keeps what was stored for it.
    before, _, records = stored(workspace)
    (corpus / CNN).unlink()
    (corpus / CNN).symlink_to("cnn-loop.txt")
    (corpus / "cnn-loop.txt").symlink_to(CNN)
    report = ingest(workspace, CountingFactory(embedder))
    assert {s.source for s in report.skipped} == {"loop1.txt", "loop2.txt", CNN, "cnn-loop.txt"}
    assert not report.changed and stored(workspace)[0] == before and CNN in stored(workspace)[2]


def test_a_file_over_the_size_limit_is_skipped_and_keeps_what_was_stored(
    workspace: Settings, embedder: MiniLMEmbedding
) -> None:
    corpus = Path(workspace.store.corpus_dir)
    report = corpus / "report.txt"
    report.write_text("Harbour report\nThe harbour master said the pier reopens on Monday.\n", encoding="utf-8")
    env = cli_env(workspace, CITELINE_MAX_FILE_BYTES="20000")
    assert citeline(env, "ingest", "--quiet").returncode == 0
    before, _, _ = stored(workspace)

    report.write_text(
        "Harbour report\n" + "The pier stays closed until the storm has passed.\n" * 500, encoding="utf-8"
    )
    result = citeline(env, "ingest", "--quiet")
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert "skipped report.txt: 25,015 bytes, over CITELINE_MAX_FILE_BYTES (20,000)" in result.stderr
    assert stored(workspace)[0] == before, "what was stored for it is kept"

    # The default is a few MB: a 6 MB file is refused without being read (this one is all NUL bytes).
    with (corpus / "huge.txt").open("wb") as huge:
        huge.truncate(6_000_000)
    skipped = ingest(workspace, CountingFactory(embedder)).skipped
    assert {s.source: s.reason for s in skipped}["huge.txt"] == (
        f"huge.txt: 6,000,000 bytes, over CITELINE_MAX_FILE_BYTES ({5 * 1024 * 1024:,})"
    )


def test_the_progress_bar_moves_while_one_group_is_embedded(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sentences = [f"The council met {n} times to discuss the harbour bridge and the river." for n in range(600)]
    (corpus / "one.txt").write_text("Council report\n" + "\n".join(sentences) + "\n", encoding="utf-8")
    result = citeline(cli_env(make_settings(tmp_path, corpus)), "ingest")
    assert result.returncode == 0, result.stderr
    seen = {(int(n), int(total)) for n, total in re.findall(r"(\d+)/(\d+) \[", result.stderr)}
    assert {total for _, total in seen} == {601}, result.stderr[-500:]  # the title is a unit too
    between = sorted(n for n, _ in seen if 0 < n < 601)
    assert len(between) >= 3, f"the bar should move within the group, saw {sorted(seen)}"
