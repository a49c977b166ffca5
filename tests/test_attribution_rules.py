"""Who speaks a sentence, one row per attribution pattern, and the word lists the rules are built
from: no embedder, no Chroma, no HTTP."""

import pytest

from ingest.text import speech
from ingest.text.names import TITLED_NAME, TITLES
from ingest.text.speakers import SpeakerTracker
from ingest.text.wordlists import load, table

# (paragraph's sentences, names a heading introduced, expected speakers of each sentence)
ROWS = [
    (["Grushko said Russia would not move."], ["Alexander Grushko"], [["Alexander Grushko"]]),
    (["Mr Oaten said the plan was right."], [], [["Mr Oaten"]]),
    (["Tony Blair and Gordon Brown said the deal was done."], [], [["Tony Blair", "Gordon Brown"]]),
    (["Gerry Conlon - who was wrongly convicted - said he was relieved."], [], [["Gerry Conlon"]]),
    (["Her lawyer, Perry Wander, said she would appeal."], [], [["Perry Wander"]]),
    (["“We will win,” said Wales coach Mike Ruddock."], [], [["Mike Ruddock"]]),
    (["According to Oxfam's Barbara Stocking, aid is falling."], [], [["Barbara Stocking"]]),
    (["Mr Oaten met police.", "He said the plan was right."], ["Mark Oaten"], [[], ["Mark Oaten"]]),
    (["Mr Oaten said the plan was right.", '"But police are buried in paperwork."'], [], [["Mr Oaten"], ["Mr Oaten"]]),
    (["“The plant will close,” a spokesman said."], [], [[]]),
    (["“Sales fell,” the company said."], [], [[]]),
    (["The West says the vote was rigged."], [], [[]]),  # a lone capitalised word names no one
    (
        ["Deputy Prime Minister John Prescott visited the site.", "He said the homes would be built."],
        [],
        [[], ["Deputy Prime Minister John Prescott"]],
    ),
    (
        ["The Attorney General, Lord Goldsmith, has issued no instructions.", "He said he would consult."],
        [],
        [[], ["Lord Goldsmith"]],
    ),
    (["Prices rose by 3% in March."], [], [[]]),
    # A sentence's opening word is no part of the name after it.
    (["Yet Evan Mann, the club's owner, said he would stay."], [], [["Evan Mann"]]),
    (["So Tony Blair said the deal was done."], [], [["Tony Blair"]]),
    # A role word before a name introduces the person whom a later surname means.
    (["Media chief Alastair Campbell arrived.", "Campbell said he was sorry."], [], [[], ["Alastair Campbell"]]),
    # The owner before a possessive is not part of the name; a name may start at its honorific.
    (["Plaid Cymru's Elfyn Llwyd said the plan was flawed."], [], [["Elfyn Llwyd"]]),
    (["In Tanzania Mr Brown said aid would rise."], [], [["Mr Brown"]]),
    (["Edward Leigh, chairman of the committee, said the costs were too high."], [], [["Edward Leigh"]]),
    # A quotation is whoever it says spoke it, even two sentences on; it runs over sentences.
    (['"We lost.', 'It hurts," said coach Ann Lee.'], [], [["Ann Lee"], ["Ann Lee"]]),
]


@pytest.mark.parametrize(("sentences", "known", "expected"), ROWS)
def test_each_sentence_is_attributed_as_a_reader_would(sentences: list[str], known: list[str], expected: list) -> None:
    tracker = SpeakerTracker(known)
    tracker.learn_names(" ".join(sentences))
    assert tracker.attribute(sentences, "") == expected


def test_a_heading_speaker_governs_the_paragraph_unless_the_text_names_another() -> None:
    tracker = SpeakerTracker(["Jens Stoltenberg", "Alexander Grushko"])
    said = tracker.attribute(["We stand with Ukraine.", "Grushko said Russia disagreed."], "Jens Stoltenberg")
    assert said == [["Jens Stoltenberg"], ["Alexander Grushko"]]


def test_every_title_starts_a_titled_name() -> None:
    for title in TITLES:
        assert TITLED_NAME.search(f"talks with {title} Jane Doe ended").group(1) == "Jane Doe", title


def test_titles_running_together_are_not_the_name() -> None:
    assert [m.group(1) for m in TITLED_NAME.finditer("Foreign Secretary Jack Straw met Prime Minister Tony Blair")] == [
        "Jack Straw",
        "Tony Blair",
    ]
    assert not TITLED_NAME.search("the Office of the Deputy Prime Minister and others")


def test_the_verbs_of_saying_are_one_well_formed_table() -> None:
    uses = {"question", "attribution", "inverted", "unnamed", "statement"}
    lemmas = [row[0] for row in table("speech_verbs")]
    assert len(lemmas) == len(set(lemmas))
    for row in table("speech_verbs"):
        assert len(row) == 3 and set(row[2].split(",")) <= uses, row
        assert row[1] or row[2] == "question", f"{row[0]}: only a question may use a verb without its forms"


@pytest.mark.parametrize(
    ("text", "pattern", "matches"),
    [
        ("the company said on Monday", speech.STATEMENT, True),
        ("the firm is said to be worth £2m", speech.STATEMENT, False),
        ("officials declined to comment", speech.STATEMENT, True),
        ("He has also warned that prices will rise", speech.PRONOUN_SPEECH, True),
        ("He hopes prices will rise", speech.PRONOUN_SPEECH, False),
    ],
)
def test_speech_patterns(text: str, pattern, matches: bool) -> None:
    assert bool(pattern.search(text)) is matches


def test_word_lists_have_no_duplicates_and_no_blank_entries() -> None:
    for name in ("titles", "honorifics", "months", "days", "sentence_starters", "function_words", "stance_nouns"):
        entries = load(name)
        assert entries and len(entries) == len(set(entries)) and all(e.strip() == e for e in entries), name
