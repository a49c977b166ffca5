"""Ingest writes the corpus index and the BM25 index, one folder per generation; services open
them and never build them. Real Chroma, real embedder, real files."""

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from ingest import index_dir
from ingest.corpus_index import CorpusIndex
from ingest.embedder import MiniLMEmbedding
from ingest.job import run_ingest
from ingest.store import UnitStore
from service.pipeline import Pipeline
from service.retrieve import LEG_DEPTH
from service.schemas import AskRequest
from tests.conftest import (
    CNN,
    CORPUS,
    MEDUZA,
    assert_vectors_are_chromas,
    citeline,
    cli_env,
    current_folder,
    hand_made_unit,
    make_settings,
)

SEED = "000_a589e34c5cfe1d2a.txt"


@pytest.fixture()
def workspace(tmp_path: Path):  # noqa: ANN201
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / SEED, corpus / SEED)
    return make_settings(tmp_path, corpus)


def ingest(settings, embedder: MiniLMEmbedding):  # noqa: ANN001, ANN201
    return run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)


def generations(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def test_each_changing_ingest_publishes_a_generation_and_keeps_the_previous_one(
    workspace, embedder: MiniLMEmbedding
) -> None:
    root = workspace.store.index_path
    assert ingest(workspace, embedder).index_built
    first = index_dir.current(root)
    assert first == UnitStore(workspace).generation() and generations(root) == [f"g{first:08d}"]
    assert not ingest(workspace, embedder).index_built  # nothing changed: nothing rebuilt
    corpus = Path(workspace.store.corpus_dir)
    for n in range(2):
        (corpus / f"extra{n}.txt").write_text(f"Extra {n}\nThe mayor said tram line {n} opens in May.\n", "utf-8")
        assert ingest(workspace, embedder).index_built
    now = index_dir.current(root)
    assert now == first + 2 and generations(root) == [f"g{now - 1:08d}", f"g{now:08d}"]
    index = CorpusIndex.open(index_dir.folder(root, now))
    assert len(index) == UnitStore(workspace).count()
    assert [u.line for u in index.article("extra1.txt")] == [1, 2]


def test_the_index_holds_what_answering_looks_up(workspace, embedder: MiniLMEmbedding) -> None:
    ingest(workspace, embedder)
    index = CorpusIndex.open(current_folder(workspace))
    assert_vectors_are_chromas(current_folder(workspace), UnitStore(workspace))
    article = index.article(SEED)
    stored = {u.id: u for u in UnitStore(workspace).all_units()}
    assert [u.id for u in article] == sorted(stored, key=lambda i: (stored[i].line, stored[i].char_start))
    assert index.units([article[3].id, "no-such-id"]) == {article[3].id: stored[article[3].id]}
    same_line = [u for u in article if u.line == article[-1].line]
    if len(same_line) > 1:
        assert index.following(same_line[0]) == same_line[1] and index.preceding(same_line[1]) == same_line[0]
    assert index.preceding(article[0]) is None
    assert any("Stoltenberg" in label for label in index.speakers_called(["stoltenberg"]))
    assert index.speakers_called(["stoltenberg"]) <= index.speakers_in([SEED])
    assert index.knows_name("NATO") and not index.knows_name("zzyzx")
    assert index.idf("zzyzx") > index.idf("nato") > 0


def test_a_removed_index_is_rebuilt_by_the_next_ingest_and_a_service_without_one_says_so(
    workspace, embedder: MiniLMEmbedding
) -> None:
    ingest(workspace, embedder)
    root = workspace.store.index_path
    shutil.rmtree(root)
    with pytest.raises(index_dir.IndexMissing, match="run `citeline ingest`"):
        Pipeline(workspace, UnitStore(workspace), embedder)
    result = citeline(cli_env(workspace), "ask", "What did Stoltenberg say?")
    assert result.returncode == 1 and "run `citeline ingest`" in result.stderr and "Traceback" not in result.stderr
    report = ingest(workspace, embedder)
    assert report.index_built and not report.changed
    answer = Pipeline(workspace, UnitStore(workspace), embedder).ask(
        AskRequest(question="What did Stoltenberg say about Ukraine's membership?")
    )
    assert answer.answered and answer.citations[0].source == SEED


def test_a_service_only_reads_the_index_folder(workspace, embedder: MiniLMEmbedding) -> None:
    """Several workers (or hosts, from a share) open one generation: none may write into it."""
    ingest(workspace, embedder)
    root = workspace.store.index_path
    before = {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")}
    pipeline = Pipeline(workspace, UnitStore(workspace), embedder)
    assert pipeline.ask(AskRequest(question="What did Stoltenberg say about Ukraine's membership?")).answered
    assert {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in root.rglob("*")} == before
    folder = index_dir.folder(root, index_dir.current(root))
    assert all(os.access(p, os.R_OK) for p in folder.rglob("*"))
    assert oct(folder.stat().st_mode & 0o777) == "0o755"


def test_a_small_change_builds_the_next_generation_from_the_last(tmp_path: Path, embedder: MiniLMEmbedding) -> None:
    """The next generation equals one built from everything Chroma holds, without reading it all."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp_path, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    (corpus / "extra.json").write_text(
        json.dumps({"title": "Talks resume", "text": "Diplomats said the talks would resume in March."}),
        encoding="utf-8",
    )
    (corpus / MEDUZA).unlink()
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    assert report.index_built and report.added == ["extra.json"] and report.deleted == [MEDUZA]
    built = CorpusIndex.open(current_folder(settings))
    assert_vectors_are_chromas(current_folder(settings), UnitStore(settings))
    index_dir.build(UnitStore(settings), tmp_path / "from-chroma", 1)
    assert_vectors_are_chromas(index_dir.folder(tmp_path / "from-chroma", 1), UnitStore(settings))
    whole = CorpusIndex.open(index_dir.folder(tmp_path / "from-chroma", 1))
    assert sorted(u.id for u in built.every_unit()) == sorted(u.id for u in whole.every_unit())
    assert (
        {a.source for a in built.every_article()}
        == {a.source for a in whole.every_article()}
        == {
            CNN,
            "extra.json",
        }
    )
    assert built.article_text("extra.json") == whole.article_text("extra.json")


def test_a_first_ingest_builds_what_chroma_holds_without_reading_it_back(
    tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    (corpus / "extra.json").write_text(
        json.dumps({"title": "Talks resume", "text": "Diplomats said the talks would resume in March."}),
        encoding="utf-8",
    )
    settings = make_settings(tmp_path, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    built = CorpusIndex.open(current_folder(settings))
    assert_vectors_are_chromas(current_folder(settings), UnitStore(settings))
    index_dir.build(UnitStore(settings), tmp_path / "from-chroma", 1)
    whole = CorpusIndex.open(index_dir.folder(tmp_path / "from-chroma", 1))
    assert {u.id: u for u in built.every_unit()} == {u.id: u for u in whole.every_unit()}
    by_source = {a.source: a for a in whole.every_article()}
    assert {a.source: a for a in built.every_article()} == by_source and "extra.json" in by_source


def test_a_generation_of_another_version_is_not_opened_and_ingest_rebuilds_it(
    tmp_path: Path, embedder: MiniLMEmbedding
) -> None:
    """After an upgrade, a service does not read tables it does not know: it says to ingest."""
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = make_settings(tmp_path, corpus)
    run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    root = settings.store.index_path
    generation = index_dir.current(root)
    (index_dir.folder(root, generation) / index_dir.VERSION_FILE).write_text("units 9, index 1\n", encoding="ascii")
    assert index_dir.current(root) is None
    with pytest.raises(index_dir.IndexMissing, match="another version of citeline"):
        index_dir.open_current(root, UnitStore(settings))
    report = run_ingest(settings, UnitStore(settings), lambda: embedder, progress=False)
    assert not report.changed and report.index_built
    assert index_dir.current(root) == generation
    assert len(index_dir.open_current(root, UnitStore(settings))[1]) == UnitStore(settings).count()


def test_a_unit_only_bm25_found_has_the_similarity_of_its_stored_vector(pipeline: Pipeline) -> None:
    """Its vector is read from the generation's table, by its BM25 position, not from Chroma."""
    retriever, question = pipeline.retriever, "What did the spokesman say about the blackout in Kyiv?"
    vector = retriever.embed_query(question)
    candidates = retriever.retrieve(question, vector, top_k=2 * LEG_DEPTH)
    nearest = {unit_id for unit_id, _ in pipeline.store.nearest(vector, LEG_DEPTH)}
    assert [c for c in candidates if c.unit.id not in nearest], "no unit found by BM25 alone"
    stored = pipeline.store.embeddings_of([c.unit.id for c in candidates])
    assert max(abs(c.similarity - float(np.dot(stored[c.unit.id], vector))) for c in candidates) < 1e-3


@pytest.mark.parametrize(
    ("since", "until", "sources", "undated"),
    [
        (20240101, 20240229, (), True),
        (20240101, 20240229, (), False),
        (20240201, 0, ("a1.txt",), True),
        (0, 20231231, ("a0.txt", "a2.txt"), True),
        (0, 0, ("a1.txt",), False),
    ],
)
def test_a_period_counts_the_units_it_admits(since: int, until: int, sources: tuple, undated: bool) -> None:
    days = [0, 0, 20240105, 20240210, 20240301, 0, 20231231, 20240229]
    units = [
        hand_made_unit(f"Sentence {n}.", [], f"a{n % 3}.txt", n, "T").model_copy(update={"published_day": day})
        for n, day in enumerate(days)
    ]
    index = CorpusIndex.in_memory(units)
    admitted = index.positions_within(since, until, sources, undated)
    assert index.count_within(since, until, sources, undated) == len(admitted) > 0
