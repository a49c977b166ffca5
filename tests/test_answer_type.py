"""The kind of answer a question asks for and whether a sentence holds one, one row per rule."""

import pytest

from service.answer_type import expected, holds


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How much did the painting sell for?", "money"),
        ("How much will a monthly pass cost?", "money"),
        ("What fee did the club pay?", "money"),
        ("How much is the council spending on the bridge?", "money"),  # the verb in any inflection
        ("What is the list price of the new jet?", "money"),  # the noun further on
        ("What did the fine say about the club?", ""),  # "fine" is not what is asked for
        ("What percentage of voters backed the plan?", "percent"),
        ("At what time did the card payments overtake cash?", "clock"),
        ("What time did she run in the final?", "clock"),
        ("How long will the ban last?", "duration"),
        ("How many jobs will go?", "number"),
        ("How much did profits rise?", "number"),  # a percentage or a sum may answer
        ("When did he become secretary?", "time"),
        ("Where is the ceremony held?", "place"),
        ("Who chaired the meeting?", "person"),
        ("Why did the talks fail?", ""),
    ],
)
def test_the_kind_of_answer_a_question_asks_for(question: str, kind: str) -> None:
    assert expected(question) == kind


@pytest.mark.parametrize(
    ("kind", "sentence", "holds_it"),
    [
        ("money", "Blackburn want £6m for the midfielder.", True),
        ("money", "The side scored four goals against Hibernian.", False),  # a number of another kind
        ("money", "It sold for 300,000 dollars.", True),
        ("percent", "Sales rose 5.2% last year.", True),
        ("percent", "Sales rose by 12 per cent.", True),
        ("percent", "Sales reached £5bn.", False),
        ("clock", "Plastic took over at 10.38am on Wednesday.", True),
        ("clock", "He ran one minute 46.68 seconds.", True),
        ("clock", "Shoppers spent £5.3bn in 2003.", False),
        ("duration", "He was given a two-year ban.", True),
        ("duration", "The ban was lifted.", False),
        ("time", "The ceremony is on 20 March.", True),
    ],
)
def test_whether_a_sentence_holds_a_value_of_that_kind(kind: str, sentence: str, holds_it: bool) -> None:
    assert holds(kind, sentence) is holds_it


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Which companies followed IBM's lead?", "name"),
        ("In which month did Russia put forward its proposals?", "time"),
        ("Which city will host the final?", "place"),
    ],
)
def test_which_questions_ask_for_a_name_a_date_or_a_place(question: str, kind: str) -> None:
    assert expected(question) == kind


@pytest.mark.parametrize(
    ("kind", "sentence", "question", "holds_it"),
    [
        # A name answers only when it is not one the question already gives.
        ("name", "Nokia and Philips joined the commons.", "Which companies followed IBM?", True),
        ("name", "Britney Spears is suing eight insurance companies.", "Which firms is Britney Spears suing?", False),
        ("person", "It is published by Tom Smith.", "Who publishes Andrea Levy?", True),
        ("person", "Andrea Levy has won the prize.", "Who publishes Andrea Levy?", False),
        ("place", "The game will be played in Valencia.", "Where will Bulgaria play?", True),
        ("place", "The squad flew home to Bulgaria.", "Where will Bulgaria play?", False),
    ],
)
def test_a_name_answers_only_when_the_question_does_not_give_it(
    kind: str, sentence: str, question: str, holds_it: bool
) -> None:
    assert holds(kind, sentence, question) is holds_it
