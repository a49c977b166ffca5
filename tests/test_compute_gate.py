"""A process computes two questions at a time in arrival order, and a question waiting on its
vector (embedded with others' by the real model) lets another compute meanwhile."""

import threading
import time
from collections.abc import Callable

import numpy as np
import pytest

from ingest.minilm import MiniLM
from service.compute_gate import ComputeGate, waiting
from service.query_batcher import QueryBatcher


def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_questions_take_their_turns_in_the_order_they_came() -> None:
    gate, order, hold = ComputeGate(1), [], threading.Event()
    first = threading.Thread(target=gate.run, args=(hold.wait,))
    first.start()
    until(lambda: gate._free == 0)
    threads = []
    for n in range(5):
        threads.append(threading.Thread(target=gate.run, args=(order.append, n)))
        threads[-1].start()
        until(lambda n=n: len(gate._waiting) == n + 1)
    hold.set()
    for t in [first, *threads]:
        t.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_a_question_waiting_on_its_vector_gives_its_slot_and_is_next_when_back() -> None:
    gate, order = ComputeGate(1), []
    vector_ready, second_done = threading.Event(), threading.Event()

    def waits_on_its_vector() -> None:
        order.append("first computes")
        with waiting():
            vector_ready.wait()
        order.append("first is back")

    def computes_long() -> None:
        order.append("second computes")
        second_done.wait()

    first = threading.Thread(target=gate.run, args=(waits_on_its_vector,))
    first.start()
    until(lambda: order == ["first computes"])
    second = threading.Thread(target=gate.run, args=(computes_long,))
    second.start()
    until(lambda: order == ["first computes", "second computes"])  # only because the first gave way
    third = threading.Thread(target=gate.run, args=(order.append, "third computes"))
    third.start()
    until(lambda: len(gate._waiting) == 1)
    vector_ready.set()
    until(lambda: len(gate._waiting) == 2)
    second_done.set()
    for t in (first, second, third):
        t.join(5)
    assert order == ["first computes", "second computes", "first is back", "third computes"]


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM(threads=1)


def test_questions_waiting_together_are_embedded_in_one_call_as_each_alone(model: MiniLM) -> None:
    batcher = QueryBatcher(model)
    questions = [f"What did the minister say about the {topic}?" for topic in ("budget", "strike", "floods", "trade")]
    busy = threading.Thread(target=batcher.embed, args=(["a long sentence about the harbour " * 30] * 64,))
    busy.start()
    until(lambda: batcher._jobs.empty())  # the model is busy with it
    got: dict[str, np.ndarray] = {}
    asking = [threading.Thread(target=lambda q=q: got.update({q: batcher.embed([q])[0]})) for q in questions]
    for t in asking:
        t.start()
    for t in [busy, *asking]:
        t.join(30)
    assert batcher.batches == 2
    for question in questions:
        assert np.abs(got[question] - model.embed([question])[0]).max() < 1e-4


def test_a_question_the_model_fails_on_fails_alone(model: MiniLM) -> None:
    batcher = QueryBatcher(model)
    busy = threading.Thread(target=batcher.embed, args=(["a long sentence about the harbour " * 30] * 64,))
    busy.start()
    until(lambda: batcher._jobs.empty())
    outcome: dict[str, object] = {}

    def ask(name: str, texts: list) -> None:
        try:
            outcome[name] = batcher.embed(texts).shape
        except TypeError as exc:
            outcome[name] = exc

    asking = [threading.Thread(target=ask, args=args) for args in (("bad", [None]), ("good", ["Who won the final?"]))]
    for t in asking:
        t.start()
    for t in [busy, *asking]:
        t.join(30)
    assert isinstance(outcome["bad"], TypeError) and outcome["good"] == (1, 384)
    assert batcher.embed(["Who scored?"]).shape == (1, 384)
