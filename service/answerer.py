"""What an answerer is: given the question read and the sentences retrieved for it, an answer
with its citations. The extractive answerer (service/extractive.py, the default) and the
generative one (service/generative.py) both are one; the pipeline verifies whatever they give."""

from typing import Protocol

from pydantic import BaseModel

from ingest.corpus_index import CorpusIndex
from service.question import Question
from service.retrieve import Candidate
from service.schemas import Citation
from service.scoring import Scored


class Answer(BaseModel):
    text: str
    answered: bool
    citations: list[Citation]
    ranked: list[Scored]  # the retrieved sentences as judged, the likeliest answer first
    answerer: str = "extractive"  # who wrote it, as the response's verification reports
    removed: list[str] = []  # generated sentences dropped, and why
    flagged: list[str] = []  # generated sentences kept but marked unverified


class Answerer(Protocol):
    def answer(self, question: Question, candidates: list[Candidate], index: CorpusIndex) -> Answer: ...
