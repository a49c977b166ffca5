"""Run-time verification removes whatever the source does not bear out."""

from pathlib import Path

from service.schemas import Citation
from service.sources import SourceLibrary
from service.verify import verify
from tests.conftest import CORPUS, MEDUZA

TEXT = (CORPUS / MEDUZA).read_text(encoding="utf-8")
QUOTE = "Each nation, including Ukraine, has the right to choose its own path."
START = TEXT.index(QUOTE)


def good(id_: int = 1) -> Citation:
    return Citation(
        id=id_, source=MEDUZA, line_start=6, line_end=6, quote=QUOTE, char_start=START, char_end=START + len(QUOTE)
    )


LIB = SourceLibrary(CORPUS)


def test_a_true_citation_passes() -> None:
    answer, cites, report = verify(f"He said “{QUOTE}” [1]", [good()], LIB)
    assert report.verified and cites == [good()] and answer.endswith("[1]")


def test_fabricated_quote_wrong_lines_unknown_source_and_unknown_marker_are_removed() -> None:
    fabricated = good(2).model_copy(update={"quote": "Ukraine will join NATO next year."})
    wrong_lines = good(3).model_copy(update={"line_start": 2, "line_end": 2})
    missing = good(4).model_copy(update={"source": "../pyproject.toml.txt"})
    answer = "A [1] B [2] C [3] D [4] E [9]"
    text, cites, report = verify(answer, [good(1), fabricated, wrong_lines, missing], LIB)
    assert text == "A [1]" and [c.id for c in cites] == [1]
    assert not report.verified and report.checked == 4
    assert len(report.removed) == 7  # 3 bad citations + the 4 sentences resting on them or on [9]
    assert "no such source" in report.removed[2]


def test_survivors_are_renumbered(tmp_path: Path) -> None:
    bad = good(1).model_copy(update={"char_start": START + 1})
    text, cites, _ = verify("First [1] Second [2]", [bad, good(2)], LIB)
    assert text == "Second [1]" and [c.id for c in cites] == [1]


def test_a_source_changed_after_ingest_fails_verification(tmp_path: Path) -> None:
    (tmp_path / MEDUZA).write_text(TEXT.replace("right to choose", "right to pick"), encoding="utf-8")
    text, cites, report = verify("X [1]", [good()], SourceLibrary(tmp_path))
    assert cites == [] and text == "" and "differs" in report.removed[0]


def test_a_bracketed_number_inside_a_quote_is_not_a_marker(tmp_path: Path) -> None:
    text = "Report\nThe engineering report [2] concluded that the bridge is safe.\n"
    (tmp_path / "b.txt").write_text(text, encoding="utf-8")
    quote = "The engineering report [2] concluded that the bridge is safe."
    start = text.index(quote)
    cite = Citation(
        id=1, source="b.txt", line_start=2, line_end=2, quote=quote, char_start=start, char_end=start + len(quote)
    )
    answer, cites, report = verify(f"The article reports: “{quote}” [1]", [cite], SourceLibrary(tmp_path))
    assert report.verified and answer == f"The article reports: “{quote}” [1]" and cites == [cite]
