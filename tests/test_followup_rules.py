"""Which follow-ups lean on the conversation, one row per rule: no embedder, no Chroma."""

import pytest

from service.conversations import Turn
from service.followup import earlier_questions, leans_on_history, quoted_before, story
from service.schemas import Citation


@pytest.mark.parametrize(
    ("question", "leans"),
    [
        ("Who directed it?", True),  # a pronoun for what was discussed
        ("And the audience award?", True),  # ellipsis
        ("What about the holders?", True),
        ("Whose mistake gifted him the try?", True),  # even once the rules name him
        ("Who had been number one before them?", True),
        ("Who won the audience award at the Harbour festival?", False),  # stands alone
    ],
)
def test_which_follow_ups_lean_on_the_conversation(question: str, leans: bool) -> None:
    assert leans_on_history(question) is leans


def turn(question: str, sources: list[str]) -> Turn:
    citations = [
        Citation(id=n, source=s, line_start=1, line_end=1, quote="q", char_start=0, char_end=1)
        for n, s in enumerate(sources, start=1)
    ]
    return Turn(
        question=question, rewritten_question=question, answer="a", answered=True, citations=citations, created=0
    )


def test_a_leaning_follow_up_is_read_with_the_last_two_questions_and_the_last_answers_articles() -> None:
    history = [turn("First?", ["a.txt"]), turn("Second?", ["b.txt"]), turn("Third?", ["c.txt", "b.txt"])]
    assert earlier_questions(history) == "Second? Third?"
    assert story(history) == ["c.txt", "b.txt"]  # the article of the first quote first
    assert story([]) == []
    # What the last answer quoted, which the follow-up rarely asks for again.
    assert quoted_before(history) == ["c.txt:0", "b.txt:0"] and quoted_before([]) == []
