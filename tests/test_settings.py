"""Settings by concern, read from CITELINE_* variables and named presets: no embedder, no Chroma."""

import re
from pathlib import Path

import pytest

from ingest.settings import GROUPS, PREFIX, PRESETS, InvalidSettings, Settings, preset

README = Path(__file__).resolve().parent.parent / "README.md"


def variables() -> list[str]:
    return [
        f"{group.model_config.get('env_prefix', PREFIX)}{field}".upper()
        for group in GROUPS.values()
        for field in group.model_fields
    ]


def test_each_group_reads_its_own_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITELINE_CORPUS_DIR", "/news")
    monkeypatch.setenv("CITELINE_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("CITELINE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    settings = Settings.read()
    assert settings.store.corpus_dir == Path("/news")
    assert settings.llm.base_url == "http://127.0.0.1:9/v1"
    assert [str(n) for n in settings.http.trusted_proxies] == ["10.0.0.0/8", "127.0.0.1/32"]


def test_a_change_is_named_as_its_variable_and_validated() -> None:
    settings = Settings.read().updated(corpus_dir="/x", llm_timeout_s=5, top_k=7)
    assert (settings.store.corpus_dir, settings.llm.timeout_s, settings.retrieval.top_k) == (Path("/x"), 5, 7)
    with pytest.raises(InvalidSettings, match="CITELINE_TOP_K"):
        settings.updated(top_k=500)
    with pytest.raises(KeyError):
        settings.updated(no_such_setting=1)


def test_a_preset_sets_defaults_the_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITELINE_PRESET", "local")
    settings = Settings.read()
    assert (settings.answering.answerer, settings.llm.provider) == ("llm", "llama-cpp")
    assert settings.llm_model_path == settings.store.data_dir / preset("local")["CITELINE_LLM_MODEL_FILE"]
    monkeypatch.setenv("CITELINE_ANSWERER", "extractive")
    assert Settings.read().answering.answerer == "extractive"


def test_an_unknown_preset_or_a_bad_value_is_named_as_the_user_wrote_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CITELINE_PRESET", "../etc/passwd")
    with pytest.raises(InvalidSettings, match="no preset '../etc/passwd'; the presets are local"):
        Settings.read()
    monkeypatch.delenv("CITELINE_PRESET")
    monkeypatch.setenv("CITELINE_LLM_TIMEOUT_S", "soon")
    with pytest.raises(InvalidSettings, match="CITELINE_LLM_TIMEOUT_S"):
        Settings.read()


def test_every_preset_sets_only_known_variables() -> None:
    known = set(variables())
    for path in PRESETS.glob("*.json"):
        assert set(preset(path.stem)) <= known, path.name


def test_the_readme_documents_every_variable() -> None:
    documented = set(re.findall(r"`(CITELINE_[A-Z_]+)`", README.read_text(encoding="utf-8")))
    assert set(variables()) | {"CITELINE_PRESET"} <= documented
