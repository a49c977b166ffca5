"""How the extractive answer words each quote, one row per frame, and the support judge's
attribution words read from those frames: no embedder, no Chroma."""

import pytest

from service import wording
from service.support import ATTRIBUTION


@pytest.mark.parametrize(
    ("text", "speakers", "first", "worded"),
    [
        ("Prices will rise.", [], True, "The article reports: “Prices will rise.” [1]"),
        # The sentence names its speaker: no attribution needed.
        (
            "Mr Blair said prices will rise.",
            ["Tony Blair"],
            True,
            "The article reports: “Mr Blair said prices will rise.” [1]",
        ),
        (
            "He said prices will rise.",
            ["Tony Blair"],
            True,
            "Referring to Tony Blair, the article reports: “He said prices will rise.” [1]",
        ),
        ("Prices will rise.", ["Tony Blair"], True, "According to Tony Blair, “Prices will rise.” [1]"),
        (
            "Prices will rise.",
            ["Tony Blair", "Gordon Brown"],
            False,
            "Blair and Brown also said, “Prices will rise.” [1]",
        ),
        # A body takes an article.
        ("Prices will rise.", ["Defense Ministry"], True, "According to the Defense Ministry, “Prices will rise.” [1]"),
        ("Prices will rise.", ["Defense Ministry"], False, "The Defense Ministry also said, “Prices will rise.” [1]"),
        # A quote holding double quotes is wrapped in single ones.
        ('He called it "a farce".', [], True, 'The article reports: ‘He called it "a farce".’ [1]'),
    ],
)
def test_each_quote_is_framed_by_who_said_it(text: str, speakers: list[str], first: bool, worded: str) -> None:
    assert wording.sentence_for(text, speakers, 1, first) == worded


def test_refusals_and_article_parts_are_worded_from_prompts() -> None:
    assert wording.nearest("It may fetch £2m.", []) == "The nearest it reports: “It may fetch £2m.” [1]"
    assert wording.unmentioned(["Mars", "Mars", "Venus"]) == "It does not mention Mars, Venus."
    assert wording.article_part("headline", "Leaders meet") == "The article's headline: “Leaders meet”"
    assert wording.not_reported(["Where?"]) == " The articles do not report the answer to “Where?”."


def test_the_support_judge_allows_exactly_the_frames_words() -> None:
    # Stems of the frames' words ("According to", "also said", "The article reports"), no others.
    assert {"accord", "say", "also", "articl", "report", "refer", "nearest"} <= ATTRIBUTION
    assert "sold" not in ATTRIBUTION and "rise" not in ATTRIBUTION
