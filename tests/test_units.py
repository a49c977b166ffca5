"""Splitting articles into units: exact spans, context, speakers."""

import pytest

from ingest.corpus import line_table
from ingest.documents import txt_document
from ingest.units import Unit
from tests.conftest import CNN, CORPUS, MEDUZA


def units_of(text: str, source: str = "a.txt") -> list[Unit]:
    return txt_document(source, text).units()


def seed_units(source: str) -> list[Unit]:
    return units_of((CORPUS / source).read_text(encoding="utf-8"), source)


@pytest.mark.parametrize("source", [MEDUZA, CNN])
def test_every_unit_is_exactly_its_span_on_its_line(source: str) -> None:
    art = txt_document(source, (CORPUS / source).read_text(encoding="utf-8")).article
    units = seed_units(source)
    assert units
    for unit in units:
        assert art.text[unit.char_start : unit.char_end] == unit.text
        line = art.lines[unit.line - 1]
        assert line.start <= unit.char_start < unit.char_end <= line.end
        assert unit.text == unit.text.strip()
    assert len({u.id for u in units}) == len(units)


def test_speaker_heading_gives_context_to_unnamed_statements() -> None:
    units = seed_units(MEDUZA)
    veto = next(u for u in units if "veto" in u.text)
    assert veto.line == 6
    assert veto.speaker == "NATO Secretary General Jens Stoltenberg"
    assert "Stoltenberg" in veto.retrieval_text() and "Stoltenberg" not in veto.text
    minsk = next(u for u in units if "Minsk" in u.text)
    assert minsk.speaker == "Russian Deputy Foreign Minister Alexander Grushko"
    note = next(u for u in units if "not necessarily verbatim" in u.text)
    assert note.speaker == ""  # the reporter's note after his paragraph is not his
    assert units[0].kind == "title" and units[0].line == 1


def test_pronouns_and_quotes_follow_the_person_named_before() -> None:
    units = seed_units(CNN)
    by_start = {u.text[:25]: u for u in units}
    assert by_start["He said that Russia and N"].speaker.endswith("Alexander Grushko")
    assert by_start["He said the U.S.-led alli"].speaker.endswith("Jens Stoltenberg")
    assert by_start["“Russia was not in a posi"].speaker.endswith("Jens Stoltenberg")
    assert by_start["“The Russian side has rep"].speaker == "Defense Ministry"
    assert next(u for u in units if u.text.startswith("AFP")).speaker == ""


def test_metadata_is_its_own_unit_and_bullets_are_not_quoted() -> None:
    units = seed_units(CNN)
    assert (units[0].kind, units[0].text, units[0].line) == ("meta", "date 2022-01-13", 1)
    assert units[1].text.startswith("Russia and NATO met") and units[1].kind == "text"
    assert all(u.published == "2022-01-13" and u.published_day == 20220113 for u in units)
    assert not any(u.text.startswith(("–", "-")) for u in units if u.kind == "text")
    assert {u.heading for u in units if u.line == 13} == {"Ukraine"}


def test_abbreviations_do_not_split_sentences() -> None:
    units = seed_units(MEDUZA)
    assert any("the U.S. held similar talks in Geneva." in u.text for u in units)


def test_files_without_final_newline_crlf_and_long_lines() -> None:
    text = "Title here\r\nSpeaker Person Name\r\nWe said things. Then more things." + " word" * 400
    units = units_of(text)
    for unit in units:
        assert text[unit.char_start : unit.char_end] == unit.text
        assert "\r" not in unit.text and len(unit.text) <= 600
    assert units[0].kind == "title"
    assert units[1].speaker == "Speaker Person Name"


def test_line_table_counts_like_an_editor() -> None:
    assert [ln.number for ln in line_table("a\nb\n")] == [1, 2]
    assert [ln.text for ln in line_table("a\n\nb")] == ["a", "", "b"]


def test_a_lone_carriage_return_ends_a_line_too() -> None:
    text = "Old Mac title\rSecond line.\r\nThird line.\nFourth\r\rSixth.\r"
    table = line_table(text)
    assert [(ln.number, ln.text) for ln in table] == [
        (1, "Old Mac title"),
        (2, "Second line."),
        (3, "Third line."),
        (4, "Fourth"),
        (5, ""),
        (6, "Sixth."),
    ]
    assert all(text[ln.start : ln.end] == ln.text for ln in table)
    units = units_of(text)
    texts = [(u.line, u.text) for u in units if u.kind == "text"]
    assert texts == [(2, "Second line."), (3, "Third line."), (6, "Sixth.")]


def test_reported_speech_in_a_bbc_style_article() -> None:
    text = (
        "Minister rejects claims\n\n"
        "Transport chief Jane Doyle is at the centre of a row over a new bridge.\n\n"
        'Ms Doyle wrote to the council on Monday. In it, she said: "The bridge is safe. It opens in May." '
        "Critics were not convinced.\n\n"
        "He says Tony Blair was not worried, one aide added.\n\n"
        '"We will keep building," said Jane Doyle.'
    )
    units = {u.text: u for u in units_of(text)}
    assert units['In it, she said: "The bridge is safe.'].speaker == "Jane Doyle"
    assert units['It opens in May."'].speaker == "Jane Doyle"  # the quotation goes on
    assert units["Critics were not convinced."].speaker == ""
    assert units["He says Tony Blair was not worried, one aide added."].speaker != "Tony Blair"
    assert units['"We will keep building," said Jane Doyle.'].speaker == "Jane Doyle"


def test_bbc_style_attributions() -> None:
    text = (
        "Coach names captain\n\n"
        "Wales coach Mike Ruddock was speaking before the Australian Open draw.\n\n"
        '"With Gareth missing I think Owen will lead us," said Wales coach Mike Ruddock. '
        "He also said the squad was fit.\n\n"
        "Plaid Cymru's Elfyn Llwyd has argued the plan was flawed. In Cardiff Mr Llwyd said it would fail.\n\n"
        '"We have offered a review," the company said in a statement.\n\n'
        'The remaining members of the band said they hoped Welch "finds happiness".\n\n'
        '"It will not happen again," said a spokesman.'
    )
    units = {u.text: u.speaker for u in units_of(text)}
    assert units['"With Gareth missing I think Owen will lead us," said Wales coach Mike Ruddock.'] == "Mike Ruddock"
    assert units["He also said the squad was fit."] == "Mike Ruddock"
    assert units["Plaid Cymru's Elfyn Llwyd has argued the plan was flawed."] == "Elfyn Llwyd"
    assert units["In Cardiff Mr Llwyd said it would fail."] == "Elfyn Llwyd"
    assert units['The remaining members of the band said they hoped Welch "finds happiness".'] == ""
    assert units['"It will not happen again," said a spokesman.'] == ""
    # Not Mr Llwyd's, who spoke last: "the company" names no one the tracker knows.
    assert units['"We have offered a review," the company said in a statement.'] == ""
