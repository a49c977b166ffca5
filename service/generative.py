"""The `llm` answerer: a language model writes the answer from numbered source sentences, then
every sentence it wrote is verified before anything reaches the user.

Verification, sentence by sentence: its citation ids must be ids it was given (anything else is
an error); the cited sentences must support it (service/support.py: content-word coverage with
stemming, numbers and names must match, embedding similarity). Unsupported sentences are
dropped (or, with CITELINE_UNSUPPORTED=flag, kept and marked); the response lists what was
removed and why. Citations always quote the source, never the model. If nothing supported is
left, or the model is unreachable and CITELINE_LLM_FALLBACK=extractive, the fallback answerer's
answer is given instead.
"""

import logging
import re
from datetime import date
from typing import TYPE_CHECKING

from pydantic import BaseModel

from ingest.corpus_index import CorpusIndex
from ingest.settings import Settings
from ingest.units import Unit, sentence_spans
from service.answerer import Answer, Answerer
from service.judging import answers, relevant
from service.llm import LLMUnavailable, chat
from service.prompts import cannot_answer, load, render
from service.question import Question
from service.retrieve import Candidate
from service.schemas import Citation
from service.scope import spoken

if TYPE_CHECKING:  # llama-index is imported only once a model is made (service/llm.py)
    from llama_index.core.llms import LLM
from service.scoring import Scored
from service.support import SupportJudge
from service.tokens import count

log = logging.getLogger("citeline")

# "[1, 3]" and "[1][3]" both cite sources 1 and 3.
CITES = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
TRAILING_MARKERS = re.compile(r"([.!?])\s*((?:\[\d+(?:\s*,\s*\d+)*\]\s*)+)")
FLAG = f" {load('unverified_mark')}"


class Generated(BaseModel):
    answer: str
    answered: bool
    citations: list[Citation]
    removed: list[str]
    flagged: list[str]


def numbered_sources(ranked: list[Scored], budget: int) -> list[Scored]:
    """The best-scored units that fit the prompt's token budget, best first."""
    chosen: list[Scored] = []
    for s in ranked:
        cost = count(s.candidate.unit.text) + 20
        if cost > budget:
            break
        chosen.append(s)
        budget -= cost
    return chosen


def source_line(n: int, unit: Unit) -> str:
    who = unit.speaker or (render("source_section", heading=unit.heading) if unit.heading else load("no_speaker"))
    text = " ".join(unit.text.split())
    # The publication date lets the model say when, and the support judge accepts it as evidence.
    dated = f"; published {spoken(date.fromisoformat(unit.published[:10]))}" if unit.published else ""
    return f"[{n}] ({who}; {unit.source} line {unit.line}{dated}) {text}"


def sentences(text: str) -> list[str]:
    # Models often write "... said so. [2] Next ...": a marker after the full stop belongs to
    # the sentence before it. Splitting is the units' own (abbreviations like "U.S." kept whole).
    text = TRAILING_MARKERS.sub(lambda m: f" {m.group(2).strip()}{m.group(1)} ", text)
    return [text[a:b] for a, b in sentence_spans(text, 0)]


class GenerativeAnswerer:
    def __init__(self, llm: "LLM", settings: Settings, support: SupportJudge, fallback: Answerer) -> None:
        self.llm = llm
        self.settings = settings
        self.support = support
        self.fallback = fallback

    def answer(self, question: Question, candidates: list[Candidate], index: CorpusIndex) -> Answer:
        """The model's verified answer; the fallback's when the question names what the corpus
        never does, or nothing the model wrote holds up against its sources."""
        draft = self.fallback.answer(question, candidates, index)
        if question.unknown_names:
            return draft
        try:
            generated = self.generate(question, draft.ranked)
        except LLMUnavailable:
            if self.settings.llm.fallback != "extractive":
                raise
            log.warning("LLM unavailable; answering extractively", exc_info=True)
            return draft.model_copy(update={"answerer": "extractive (the language model was unreachable)"})
        if generated.answered or not generated.removed:
            return Answer(
                text=generated.answer or cannot_answer(),
                answered=generated.answered,
                citations=generated.citations,
                ranked=draft.ranked,
                answerer="llm",
                removed=generated.removed,
                flagged=generated.flagged,
            )
        return draft.model_copy(
            update={
                "answerer": "extractive (no generated sentence held up against its sources)",
                "removed": generated.removed,
                "flagged": generated.flagged,
            }
        )

    def generate(self, question: Question, ranked: list[Scored]) -> Generated:
        sources = numbered_sources(ranked, self.settings.answering.context_tokens)
        if not sources:
            return Generated(answer=cannot_answer(), answered=False, citations=[], removed=[], flagged=[])
        lines = [source_line(n, s.candidate.unit) for n, s in enumerate(sources, start=1)]
        prompt = render("answer_user", sources="\n".join(lines), question=question.text)
        output = chat(self.llm, render("answer_system", cannot_answer=cannot_answer()), prompt)
        return self.verify(output, sources)

    def verify(self, output: str, sources: list[Scored]) -> Generated:
        units = [s.candidate.unit for s in sources]
        if not output or cannot_answer().lower().rstrip(".") in output.lower():
            return Generated(answer=cannot_answer(), answered=False, citations=[], removed=[], flagged=[])
        answerable = any(answers(s) for s in sources)
        removed: list[str] = []
        flagged: list[str] = []
        kept: list[tuple[str, list[int]]] = []
        for sentence in sentences(output):
            ids = [int(n) for group in CITES.findall(sentence) for n in re.split(r"\s*,\s*", group)]
            claim = re.sub(r"\s+([.!?,;:])", r"\1", CITES.sub("", sentence)).strip()
            if not claim:
                continue
            unknown = sorted({i for i in ids if not 1 <= i <= len(units)})
            if unknown:
                removed.append(f"cites source {unknown[0]}, which it was not given: {claim[:100]}")
                continue
            cited = list(dict.fromkeys(ids))
            if cited and not (answerable and any(relevant(sources[i - 1]) for i in cited)):
                # Supported is not enough: a true sentence from an unrelated source (an article
                # that tells models what to say) is no answer. The bar is the extractive
                # answerer's: a source that answers, or one it would quote beside it. Never kept,
                # not even flagged.
                removed.append(f"its sources do not answer the question: {claim[:100]}")
                continue
            ok, why = self.support.supports(claim, [Citation.of(i, units[i - 1]) for i in cited])
            if ok:
                kept.append((claim, cited))
            elif self.settings.answering.unsupported == "flag" and cited:
                flagged.append(f"not supported by its sources ({why}): {claim[:100]}")
                kept.append((claim + FLAG, cited))
            else:
                removed.append(f"not supported by its sources ({why}): {claim[:100]}")
        if not any(not text.endswith(FLAG) for text, _ in kept):
            return Generated(answer="", answered=False, citations=[], removed=removed, flagged=flagged)
        renumber: dict[int, int] = {}
        parts = []
        for text, cited in kept:
            markers = "".join(f"[{renumber.setdefault(i, len(renumber) + 1)}]" for i in cited)
            parts.append(f"{text} {markers}")
        citations = [Citation.of(new, units[old - 1]) for old, new in renumber.items()]
        return Generated(answer=" ".join(parts), answered=True, citations=citations, removed=removed, flagged=flagged)
