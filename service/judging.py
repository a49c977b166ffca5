"""Each retrieved sentence judged against the question: does it answer, or is it at least close
enough to give as context? The one bar both answerers hold their sources to."""

from ingest.corpus_index import CorpusIndex
from service import selector
from service.question import Question
from service.retrieve import Candidate
from service.scoring import Scored, score, signals


def judged(question: Question, candidates: list[Candidate], index: CorpusIndex) -> list[Scored]:
    """The candidates scored, each with the selector's probability that it answers the question,
    the likeliest first."""
    ranked = score(question, candidates, index)
    found = [signals(s, question, n) for n, s in enumerate(ranked)]
    likelihoods = selector.probabilities(question, found)
    judged_ = [
        s.model_copy(update={"answers": p, "eligible": selector.eligible(question, f)})
        for s, f, p in zip(ranked, found, likelihoods, strict=True)
    ]
    return sorted(judged_, key=lambda s: s.answers, reverse=True)


def answers(s: Scored) -> bool:
    """Whether this sentence alone is enough to call the question answered."""
    return s.eligible and s.answers >= selector.model().threshold


def relevant(s: Scored) -> bool:
    """Whether this sentence is close enough to the question to be given as context (to the LLM
    answerer, or in a refusal), though it may not answer."""
    return s.eligible and s.answers >= selector.context_floor()
