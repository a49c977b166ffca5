"""Judgments of one answer: the expensive or model-dependent part of an eval, stored as data.

Everything a metric needs is decided here and written to results.json; eval/metrics.py only
counts. Support is judged offline (ALCE-style citation recall and precision) from lexical and
embedding evidence:

* a sentence that quotes a cited passage verbatim, adding only attribution words and the
  speaker's name, is supported;
* otherwise it is supported when at least SUPPORT_COVERAGE of its content words (stemmed) are
  in the cited quotes and speakers, every number and capitalised name in it is there too, and
  the embedding cosine between sentence and quotes is at least SUPPORT_SIMILARITY.
"""

import re

import numpy as np
from pydantic import BaseModel

from eval.golden import GoldenRecord
from ingest.embedder import MiniLMEmbedding
from service.lexicon import content_stems, words
from service.schemas import Citation
from service.sources import SourceLibrary
from service.verify import MARKER, citation_error, markers, masked, split_sentences, unmasked

SUPPORT_COVERAGE = 0.8
SUPPORT_SIMILARITY = 0.6
MIN_PREFIX_MATCH = 5
# Words an answer may add around a quotation without claiming anything new.
ATTRIBUTION = {"according", "said", "says", "also", "article", "reports", "referring", "report"}
NUMBER = re.compile(r"\d[\d,.]*")
NAME = re.compile(r"(?<=\s)[A-Z][\w’'-]+")


class CitationCheck(BaseModel):
    id: int
    key: str  # source:line_start
    valid: bool
    reason: str = ""
    relevant: bool = True  # ALCE precision: needed by the sentence that cites it


class SentenceCheck(BaseModel):
    text: str
    citation_ids: list[int]
    supported: bool
    why: str


class Judgment(BaseModel):
    answered: bool
    retrieved: list[str]  # source:line keys in rank order, without repeats
    citations: list[CitationCheck]
    unresolved_markers: list[int]
    uncited_citations: list[int]
    sentences: list[SentenceCheck]
    facts_found: list[str | None]  # per key fact: the alternative found, or None
    traps_cited: list[str]
    gold_cited: bool
    correct: bool
    why: str


def _covered(term: str, present: set[str]) -> bool:
    if term in present:
        return True
    return len(term) >= MIN_PREFIX_MATCH and any(
        len(p) >= MIN_PREFIX_MATCH and (p.startswith(term) or term.startswith(p)) for p in present
    )


class SupportJudge:
    def __init__(self, embedder: MiniLMEmbedding) -> None:
        self.embedder = embedder

    def supports(self, claim: str, cited: list[Citation]) -> tuple[bool, str]:
        if not cited:
            return False, "no citation"
        hidden, table = masked(claim, [c.quote for c in cited])
        claim = " ".join(unmasked(MARKER.sub("", hidden), table).split())
        evidence = " ".join(f"{c.speaker} {c.quote}" for c in cited)
        remainder = claim
        for c in cited:
            quote = " ".join(c.quote.split())
            if quote and quote in remainder:
                remainder = remainder.replace(quote, " ", 1)
        if remainder != claim:
            # It quotes a passage verbatim; what is left around it must be attribution only.
            extra = {w for w in set(words(remainder)) - ATTRIBUTION - set(words(evidence)) if content_stems(w)}
            if not extra:
                return True, "quotes the cited passage verbatim"
            return False, f"adds words the passage does not have: {', '.join(sorted(extra))}"
        stems = content_stems(claim)
        present = set(content_stems(evidence))
        coverage = sum(_covered(s, present) for s in stems) / max(1, len(stems))
        missing_numbers = set(NUMBER.findall(claim)) - set(NUMBER.findall(evidence))
        missing_names = {n for n in NAME.findall(f" {claim}") if n.lower() not in set(words(evidence))}
        vectors = self.embedder.embed([claim, evidence])
        similarity = float(np.dot(vectors[0], vectors[1]))
        ok = (
            coverage >= SUPPORT_COVERAGE
            and not missing_numbers
            and not missing_names
            and similarity >= SUPPORT_SIMILARITY
        )
        detail = f"coverage {coverage:.2f}, similarity {similarity:.2f}"
        if missing_numbers or missing_names:
            detail += f", not in the passage: {', '.join(sorted(missing_numbers | missing_names))}"
        return ok, detail


def judge(record: GoldenRecord, response: dict, library: SourceLibrary, support: SupportJudge) -> Judgment:
    citations = [Citation.model_validate(c) for c in response.get("citations", [])]
    by_id = {c.id: c for c in citations}
    answer = response.get("answer", "")
    answered = bool(response.get("answered"))

    retrieved: list[str] = []
    for item in response.get("retrieved", []):
        key = f"{item['source']}:{item['line']}"
        if key not in retrieved:
            retrieved.append(key)

    checks = []
    for c in citations:
        error = citation_error(c, library)
        checks.append(CitationCheck(id=c.id, key=f"{c.source}:{c.line_start}", valid=error is None, reason=error or ""))
    quotes = [c.quote for c in citations]
    used = markers(answer, quotes)
    unresolved = sorted({m for m in used if m not in by_id})
    uncited = sorted({c.id for c in citations} - set(used))

    sentences = []
    for text in split_sentences(answer, quotes) if answered else []:
        ids = [m for m in markers(text, quotes) if m in by_id]
        cited = [by_id[i] for i in dict.fromkeys(ids)]
        ok, why = support.supports(text, cited)
        sentences.append(SentenceCheck(text=text, citation_ids=list(dict.fromkeys(ids)), supported=ok, why=why))
        # ALCE precision: a citation is irrelevant if it alone does not support the sentence
        # and the others support it without it.
        if ok and len(cited) > 1:
            for c in cited:
                alone, _ = support.supports(text, [c])
                rest, _ = support.supports(text, [o for o in cited if o.id != c.id])
                if not alone and rest:
                    next(k for k in checks if k.id == c.id).relevant = False

    lowered = answer.lower()
    facts = [next((alt for alt in fact if alt.lower() in lowered), None) for fact in record.key_facts]
    cited_lines = {f"{c.source}:{n}" for c in citations for n in range(c.line_start, c.line_end + 1)}
    traps = sorted(cited_lines & {t.key for t in record.traps})
    gold_cited = bool(cited_lines & {g.key for g in record.gold})
    if not record.answerable:
        correct, why = not answered, "refused as it should" if not answered else "answered an unanswerable question"
    elif not answered:
        correct, why = False, "refused an answerable question"
    else:
        problems = []
        if not gold_cited:
            problems.append("no gold line cited")
        if None in facts:
            problems.append(
                "missing key facts: "
                + "; ".join("/".join(f) for f, hit in zip(record.key_facts, facts, strict=True) if hit is None)
            )
        if traps:
            problems.append("cited trap lines " + ", ".join(traps))
        correct, why = not problems, "; ".join(problems) or "correct"
    return Judgment(
        answered=answered,
        retrieved=retrieved,
        citations=checks,
        unresolved_markers=unresolved,
        uncited_citations=uncited,
        sentences=sentences,
        facts_found=facts,
        traps_cited=traps,
        gold_cited=gold_cited,
        correct=correct,
        why=why,
    )
