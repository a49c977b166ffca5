"""How a question is read, how a follow-up is rewritten, and the answerer's gates, one row per
rule, on hand-made units and candidates: no embedder, no Chroma, no HTTP."""

import pytest

from ingest.corpus_index import CorpusIndex
from ingest.units import Unit
from service import selector
from service.about_article import part_of
from service.article_aspect import aspect
from service.conversations import Turn
from service.extractive import select
from service.followup import rewrite
from service.question import analyse
from service.retrieve import Candidate
from service.schemas import Citation
from service.scoring import Scored
from tests.conftest import hand_made_unit
from tests.test_selector import question as hand_made_question
from tests.test_selector import signals


def unit(text: str, speakers: list[str] | None = None, line: int = 3) -> Unit:
    return hand_made_unit(text, speakers or [], "news/summit.txt", line, "Leaders meet in Vilnius")


UNITS = [
    unit("NATO Secretary General Jens Stoltenberg met President Volodymyr Zelensky in Vilnius.", line=1),
    unit("Ukraine will join the alliance when conditions are met.", ["Jens Stoltenberg"], line=3),
    unit("We need a clear path to membership.", ["Volodymyr Zelensky"], line=5),
    unit("The summit cost €12m, the city council said.", line=7),
]
INDEX = CorpusIndex.in_memory(UNITS)


@pytest.mark.parametrize(
    ("asked", "persons", "asks_speech", "expects", "topic", "unknown"),
    [
        (
            "What did Stoltenberg say about Ukraine's membership?",
            ["Jens Stoltenberg"],
            True,
            "",
            ["ukrain", "member"],  # "membership" finds "member"
            [],
        ),
        # Named but not asked what they said: a hint, not a demand for their words.
        (
            "Where did Stoltenberg meet Zelensky?",
            ["Jens Stoltenberg", "Volodymyr Zelensky"],
            False,
            "place",
            ["meet"],
            [],
        ),
        ("How much did the summit cost?", [], False, "money", ["summit", "cost"], []),
        # A name the corpus never uses: the corpus cannot answer, whoever's words are asked for.
        ("What did Macron say about the summit?", [], False, "", ["macron", "summit"], ["Macron"]),
        ("When will Ukraine join the alliance?", [], False, "time", ["ukrain", "join", "allianc"], []),
        # A stance noun after the possessive, or "according to", asks for the person's own words.
        ("What is Stoltenberg's position on membership?", ["Jens Stoltenberg"], True, "", ["member"], []),
        ("According to Zelensky, what does Ukraine need?", ["Volodymyr Zelensky"], True, "", ["ukrain", "need"], []),
    ],
)
def test_how_a_question_is_read(
    asked: str, persons: list[str], asks_speech: bool, expects: str, topic: list[str], unknown: list[str]
) -> None:
    q = analyse(asked, INDEX, {"news/summit.txt"})
    assert (q.persons, q.asks_speech, q.expects, q.topic, q.unknown_names) == (
        persons,
        asks_speech,
        expects,
        topic,
        unknown,
    )


def turn(asked: str, cited: Unit | None = None) -> Turn:
    citations = [Citation.of(1, cited)] if cited else []
    return Turn(
        question=asked, rewritten_question=asked, answer="", answered=bool(cited), citations=citations, created=0
    )


@pytest.mark.parametrize(
    ("history", "follow_up", "standalone"),
    [
        # No history: the question stands as it is.
        ([], "What did he say?", "What did he say?"),
        # A pronoun is the person last asked about.
        (
            [turn("What did Stoltenberg say about Ukraine's membership?")],
            "What did he say about the summit?",
            "What did Stoltenberg say about the summit?",
        ),
        # "What about X?" swaps the person and keeps the question.
        (
            [turn("What did Stoltenberg say about Ukraine's membership?")],
            "What about Zelensky?",
            "What did Zelensky say about Ukraine's membership?",
        ),
        # "What about <topic>?" keeps the person and swaps the topic; "his" is the person's.
        (
            [turn("What did Stoltenberg say about Ukraine's membership?")],
            "What about the summit?",
            "What did Stoltenberg say about the summit?",
        ),
        (
            [turn("What did Stoltenberg say about Ukraine's membership?")],
            "What did he say about his own role?",
            "What did Stoltenberg say about Stoltenberg's own role?",
        ),
        # "too" asks the same of someone else: the topic carries over.
        (
            [turn("What did Stoltenberg say about Ukraine's membership?")],
            "Did Zelensky comment too?",
            "Did Zelensky comment too about Ukraine's membership?",
        ),
        # Or the speaker of the last answer's first quote, when the question named no one.
        (
            [turn("What was said about membership?", UNITS[2])],
            "Did he say anything else?",
            "Did Zelensky say anything else?",
        ),
    ],
)
def test_how_a_follow_up_is_rewritten_to_stand_alone(history: list[Turn], follow_up: str, standalone: str) -> None:
    assert rewrite(follow_up, history, INDEX) == standalone


@pytest.mark.parametrize(
    ("change", "given", "eligible"),
    [
        # Someone's words were asked for: only theirs may answer.
        ({"asks_speech": True, "persons": ["Jens Stoltenberg"]}, {"own_words": False}, False),
        ({"asks_speech": True, "persons": ["Jens Stoltenberg"]}, {"own_words": True}, True),
        # A sentence that misses what the question names, or is about another year.
        ({}, {"misses_names": True}, False),
        ({}, {"wrong_year": True}, False),
        # An expectation never answers what happened.
        ({"text": "What did the painting sell for?"}, {"text": "It is expected to fetch £2m."}, False),
        ({"text": "What did the painting sell for?"}, {"text": "It sold for £2m."}, True),
        ({"text": "Where did the couple marry?"}, {"text": "The singer is to marry her manager."}, False),  # a plan
        # A value asked for ("How much ...?") is written out in the sentence that gives it.
        ({"expects": "money"}, {"has_expected": False}, False),
        ({"expects": "money"}, {"has_expected": True}, True),
        ({"expects": "place"}, {"has_expected": False}, True),  # a place may be named elsewhere in the article
        # "Which companies ...?" is answered by a sentence naming one the question does not.
        ({"expects": "name"}, {"has_expected": False}, False),
    ],
)
def test_what_no_likelihood_overrides(change: dict, given: dict, eligible: bool) -> None:
    q = hand_made_question(change.pop("text", "What did the painting sell for?"), **change)
    s = signals(given.pop("text", "The painting sold."), **given)
    assert selector.eligible(q, s) is eligible


def scored(text: str, answers: float, eligible: bool = True) -> Scored:
    candidate = Candidate(unit=unit(text, line=len(text)), similarity=0.5)
    return Scored(candidate=candidate, coverage=0.5, score=0.5, own_words=False, answers=answers, eligible=eligible)


THRESHOLD = selector.model().threshold
YES, NO = min(1.0, THRESHOLD + 0.2), THRESHOLD / 2


@pytest.mark.parametrize(
    ("ranked", "limit", "chosen"),
    [
        # The likeliest sentence does not answer: nothing does.
        ([scored("The summit was long.", NO), scored("It cost €12m.", NO)], 3, []),
        # A second quote must answer too.
        ([scored("It cost €12m.", YES), scored("The summit was long.", NO)], 3, ["It cost €12m."]),
        # A sentence that may not answer is passed over, not the end of the answer.
        (
            [scored("Macron said it cost €12m.", YES, eligible=False), scored("It cost €12m.", YES)],
            3,
            ["It cost €12m."],
        ),
        # Near-duplicates are quoted once; at most `limit` quotes.
        (
            [scored("The summit cost €12m.", YES), scored("The summit cost €12m in all.", YES)],
            3,
            ["The summit cost €12m."],
        ),
        ([scored("It cost €12m.", YES), scored("Ukraine will join.", YES)], 1, ["It cost €12m."]),
    ],
)
def test_which_sentences_the_extractive_answerer_quotes(ranked: list[Scored], limit: int, chosen: list[str]) -> None:
    assert [s.candidate.unit.text for s in select(ranked, limit)] == chosen


@pytest.mark.parametrize(
    ("asked", "part"),
    [
        ("What is the headline of the report on the Vilnius summit?", "headline"),
        ("What was the story's headline?", "headline"),
        ("What is the headline?", ""),  # of no article in particular
        ("What was the headline inflation rate in May?", ""),  # the economists' headline
        ("What is the story headlined 'Leaders meet' mainly about?", "opening"),
        ("What is the dispute mainly about?", ""),  # events, not an article
        ("When was the article about the summit published?", "date"),
        ("When was the Hutton report published?", ""),  # a report as an event
        ("Who wrote the story about the summit?", "author"),
        ("Who wrote the song?", ""),
        ("Who is quoted in the story about the summit?", "quoted"),
        ("Does the article quote anyone from the alliance?", "quoted"),
    ],
)
def test_which_part_of_an_article_a_question_asks_for(asked: str, part: str) -> None:
    assert aspect(asked) == part


def test_the_part_of_an_article_a_question_asks_for() -> None:
    headed = [hand_made_unit("Leaders meet", [], "a.txt", 1, ""), *UNITS]
    headed[0] = headed[0].model_copy(update={"kind": "title"})
    assert [u.text for u in part_of("headline", headed, 3)] == ["Leaders meet"]
    assert part_of("headline", UNITS, 3) == [] and part_of("author", headed, 3) == []
    assert [u.text for u in part_of("opening", UNITS, 3)] == [UNITS[0].text]
    assert [u.speakers for u in part_of("quoted", UNITS, 3)] == [["Jens Stoltenberg"], ["Volodymyr Zelensky"]]
