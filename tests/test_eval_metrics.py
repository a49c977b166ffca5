"""Eval judgments and metrics on tiny hand-made cases, including ones that must fail."""

import pytest

from eval.gate import Thresholds, check, deltas
from eval.golden import GoldenRecord, GoldenSetError, Line, load_set
from eval.judges import judge
from eval.metrics import Scored, by_kind, percentile, summarize
from ingest.embedder import MiniLMEmbedding
from service.sources import SourceLibrary
from service.support import SupportJudge
from tests.conftest import CORPUS, MEDUZA

TEXT = (CORPUS / MEDUZA).read_text(encoding="utf-8")
VETO = "Each nation, including Ukraine, has the right to choose its own path."
GRUSHKO = "NATO expansion creates unacceptable risks for us, which we will resist."
LIB = SourceLibrary(CORPUS)


def cite(id_: int, quote: str, line: int, **change: object) -> dict:
    start = TEXT.index(quote)
    base = {
        "id": id_,
        "source": MEDUZA,
        "line_start": line,
        "line_end": line,
        "quote": quote,
        "char_start": start,
        "char_end": start + len(quote),
        "speaker": "NATO Secretary General Jens Stoltenberg",
    }
    return base | change


RECORD = GoldenRecord(
    id="membership",
    question="What did Stoltenberg say about Ukraine's membership?",
    answerable=True,
    gold=[Line(source=MEDUZA, line=6)],
    key_facts=[["right to choose", "veto"]],
    traps=[Line(source=MEDUZA, line=4)],
)
UNANSWERABLE = GoldenRecord(
    id="australia", question="What is the capital of Australia?", answerable=False, kind="unanswerable"
)


@pytest.fixture(scope="module")
def support(embedder: MiniLMEmbedding) -> SupportJudge:
    return SupportJudge(embedder)


def response(answer: str, citations: list[dict], answered: bool = True, retrieved: list[tuple] = ()) -> dict:
    return {
        "answer": answer,
        "answered": answered,
        "citations": citations,
        "retrieved": [{"source": s, "line": n} for s, n in retrieved],
    }


def test_a_correct_quoted_answer(support: SupportJudge) -> None:
    r = response(
        f"According to NATO Secretary General Jens Stoltenberg, “{VETO}” [1]",
        [cite(1, VETO, 6)],
        retrieved=[(MEDUZA, 4), (MEDUZA, 6)],
    )
    j = judge(RECORD, r, LIB, support)
    assert j.correct and j.gold_cited and j.facts_found == ["right to choose"]
    assert [c.valid for c in j.citations] == [True] and j.sentences[0].supported
    m = summarize([Scored(record=RECORD, judgment=j, latency_ms=10)], k=5)
    assert m["hit_rate"] == 1.0 and m["mrr"] == 0.5 and m["citation_validity"] == 1.0 and m["trap_rate"] == 0.0


def test_a_fabricated_quote_is_invalid_and_unsupported(support: SupportJudge) -> None:
    fake = "Ukraine will join NATO next year."
    bad = cite(1, VETO, 6) | {"quote": fake}
    j = judge(RECORD, response(f"Stoltenberg said “{fake}” [1]", [bad]), LIB, support)
    assert not j.citations[0].valid and "differs" in j.citations[0].reason
    m = summarize([Scored(record=RECORD, judgment=j, latency_ms=1)], k=5)
    assert m["citation_validity"] == 0.0 and m["citation_precision"] == 0.0
    assert not j.correct


def test_an_out_of_range_marker_and_an_unused_citation(support: SupportJudge) -> None:
    r = response(f"“{VETO}” [3]", [cite(1, VETO, 6)])
    j = judge(RECORD, r, LIB, support)
    assert j.unresolved_markers == [3] and j.uncited_citations == [1]
    assert summarize([Scored(record=RECORD, judgment=j, latency_ms=1)], k=5)["markers_resolved"] == 0.0


def test_wrong_lines_and_a_trap_citation(support: SupportJudge) -> None:
    r = response(f"“{GRUSHKO}” [1]", [cite(1, GRUSHKO, 4, speaker="Russian Deputy Foreign Minister Alexander Grushko")])
    j = judge(RECORD, r, LIB, support)
    assert j.traps_cited == [f"{MEDUZA}:4"] and not j.correct
    moved = judge(RECORD, response(f"“{VETO}” [1]", [cite(1, VETO, 5)]), LIB, support)
    assert not moved.citations[0].valid and "lines" in moved.citations[0].reason


def test_an_answer_to_an_unanswerable_question_is_wrong(support: SupportJudge) -> None:
    answered = judge(UNANSWERABLE, response(f"“{VETO}” [1]", [cite(1, VETO, 6)]), LIB, support)
    refused = judge(UNANSWERABLE, response("The corpus does not contain an answer.", [], answered=False), LIB, support)
    assert not answered.correct and refused.correct
    m = summarize([Scored(record=UNANSWERABLE, judgment=j, latency_ms=1) for j in (answered, refused)], k=5)
    assert m["refusal_accuracy"] == 0.5 and m["hit_rate"] is None


def test_a_refusal_that_quotes_what_is_reported_nearest_is_a_refusal_not_an_answer(support: SupportJudge) -> None:
    nearest = f"The corpus does not contain an answer to this question. The nearest it reports: “{GRUSHKO}” [1]"
    refused = judge(UNANSWERABLE, response(nearest, [cite(1, GRUSHKO, 4)], answered=False), LIB, support)
    assert refused.correct and refused.citations[0].valid
    fooled = judge(RECORD, response(nearest, [cite(1, GRUSHKO, 4)], answered=False), LIB, support)
    assert not fooled.correct and not fooled.traps_cited  # the trap line quoted as context is no answer
    pairs = ((UNANSWERABLE, refused), (RECORD, fooled))
    m = summarize([Scored(record=r, judgment=j, latency_ms=1) for r, j in pairs], k=5)
    assert m["no_wrong_citation"] == 1.0 and m["gold_citation_precision"] is None and m["citation_validity"] == 1.0


def test_gold_judged_citations_tell_the_right_passage_from_a_true_quote(support: SupportJudge) -> None:
    right = judge(RECORD, response(f"“{VETO}” [1]", [cite(1, VETO, 6)]), LIB, support)
    # The other speaker's words are a verbatim quote too: the support judge passes them, the gold does not.
    wrong = judge(
        RECORD,
        response(
            f"“{GRUSHKO}” [1]", [cite(1, GRUSHKO, 4, speaker="Russian Deputy Foreign Minister Alexander Grushko")]
        ),
        LIB,
        support,
    )
    answered_anyway = judge(UNANSWERABLE, response(f"“{VETO}” [1]", [cite(1, VETO, 6)]), LIB, support)
    refused = judge(UNANSWERABLE, response("The corpus does not contain an answer.", [], answered=False), LIB, support)
    assert wrong.sentences[0].supported and not wrong.citations[0].on_gold and right.citations[0].on_gold
    scored = [
        Scored(record=record, judgment=j, latency_ms=1)
        for record, j in ((RECORD, right), (RECORD, wrong), (UNANSWERABLE, answered_anyway), (UNANSWERABLE, refused))
    ]
    m = summarize(scored, k=5)
    assert m["citation_recall"] == 1.0  # agreement with the run-time filter: every quote is verbatim
    assert m["gold_citation_recall"] == 0.5 and m["gold_citation_precision"] == round(1 / 3, 4)
    assert m["no_wrong_citation"] == 0.5 and m["unanswerable_refused"] == 0.5
    assert by_kind(scored) == {
        "direct": {"questions": 2, "accuracy": 0.5},
        "unanswerable": {"questions": 2, "accuracy": 0.5},
    }


def test_a_key_fact_counts_only_when_a_cited_quote_holds_it(support: SupportJudge) -> None:
    # The answer names the fact, but the sentence it cites does not hold it.
    j = judge(
        RECORD, response(f"He spoke of the right to choose: “{GRUSHKO}” [1]", [cite(1, GRUSHKO, 4)]), LIB, support
    )
    assert j.facts_found == [None]


def test_support_judge_rejects_claims_beyond_the_quote(support: SupportJudge) -> None:
    quote = [cite(1, VETO, 6)]
    from service.schemas import Citation

    cited = [Citation.model_validate(c) for c in quote]
    assert support.supports(f"According to Stoltenberg, “{VETO}” [1]", cited)[0]
    assert not support.supports(f"Stoltenberg promised membership by 2030 and said “{VETO}” [1]", cited)[0]
    assert not support.supports("Stoltenberg said Ukraine will join NATO in 2030. [1]", cited)[0]
    assert support.supports("Each nation, including Ukraine, has the right to choose its path. [1]", cited)[0]
    assert not support.supports("Unsupported claim with no marker.", [])[0]


def test_alce_precision_marks_a_redundant_unsupportive_citation(support: SupportJudge) -> None:
    r = response(f"According to Stoltenberg, “{VETO}” [1] [2]", [cite(1, VETO, 6), cite(2, GRUSHKO, 4)])
    j = judge(RECORD, r, LIB, support)
    assert [c.relevant for c in j.citations] == [True, False]


def test_gate_thresholds_peer_and_deltas() -> None:
    t = Thresholds(min={"hit_rate": 0.8}, max={"trap_rate": 0.1}, beat_peer=["hit_rate", "trap_rate"])
    assert check({"hit_rate": 0.9, "trap_rate": 0.0}, {"hit_rate": 0.5, "trap_rate": 0.5}, t).passed
    failed = check({"hit_rate": 0.7, "trap_rate": 0.2}, {"hit_rate": 0.8, "trap_rate": 0.1}, t)
    assert len(failed.failures) == 4
    assert deltas({"hit_rate": 0.9, "x": None}, {"hit_rate": 0.8}) == {"hit_rate": 0.1, "x": None}
    assert percentile([1, 2, 3, 4, 100], 95) == 100 and percentile([], 50) is None


def test_golden_set_errors_name_the_line(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "set.jsonl"
    path.write_text('{"id": "a", "question": "q?", "answerable": true}\n', encoding="utf-8")
    with pytest.raises(GoldenSetError, match=r"set.jsonl:1: .*gold line"):
        load_set(path)
    path.write_text("not json\n", encoding="utf-8")
    with pytest.raises(GoldenSetError, match="set.jsonl:1: not JSON"):
        load_set(path)


def test_a_copy_of_the_gold_line_in_a_duplicate_article_is_gold(support: SupportJudge, tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "wire").mkdir()
    (tmp_path / MEDUZA).write_text(TEXT, encoding="utf-8")
    (tmp_path / "wire" / "copy.txt").write_text(TEXT, encoding="utf-8")
    library = SourceLibrary(tmp_path)
    copy = cite(1, VETO, 6, source="wire/copy.txt")
    j = judge(RECORD, response(f"“{VETO}” [1]", [copy], retrieved=[("wire/copy.txt", 6)]), library, support)
    assert j.citations[0].on_gold and j.gold_cited and j.correct and j.retrieved == [f"{MEDUZA}:6"]
    trap = cite(1, GRUSHKO, 4, source="wire/copy.txt")
    fooled = judge(RECORD, response(f"“{GRUSHKO}” [1]", [trap]), library, support)
    assert fooled.traps_cited == [f"{MEDUZA}:4"] and not fooled.gold_cited
