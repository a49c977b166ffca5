"""A question asking two things, split into its parts, one row per form: no embedder."""

import pytest

from service.question_parts import split_parts


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Who chaired the meeting, and where was it held?", ["Who chaired the meeting?", "Where was it held?"]),
        ("Where and when is the ceremony?", ["Where is the ceremony?", "When is the ceremony?"]),
        ("What did the firm announce and why?", ["What did the firm announce?", "Why did the firm announce?"]),
        (
            "How much is the plan, and on which route is it tried?",
            ["How much is the plan?", "On which route is it tried?"],
        ),
        ("What did Blair say about Iraq and Iran?", ["What did Blair say about Iraq and Iran?"]),  # one question
        ("Who won?", ["Who won?"]),
    ],
)
def test_a_question_is_split_into_the_questions_it_asks(question: str, parts: list[str]) -> None:
    assert split_parts(question) == parts
