"""Judgments of one answer: the expensive or model-dependent part of an eval, stored as data.

Everything a metric needs is decided here and written to results.json; eval/metrics.py only
counts. Two kinds of citation judgment:
- against the gold: a citation is on gold when it points at a gold line or its quote holds a
  key fact; a key fact counts only when the answer states it and a cited quote holds it. A line
  of the same text as a gold (or trap) line in another file is that line: a news archive holds
  the same story twice, and either copy answers alike.
- ALCE-style support, by the same judge the service applies to generated answers
  (service/support.py). A verbatim quote passes it by construction, so these figures measure
  agreement with the run-time filter, not whether the right passage was cited.
"""

from pydantic import BaseModel

from eval.golden import GoldenRecord
from eval.llm_judge import LLMJudge
from service.schemas import Citation
from service.sources import SourceLibrary, SourceNotFound
from service.support import SupportJudge
from service.verify import citation_error, markers, split_sentences


class CitationCheck(BaseModel):
    id: int
    key: str  # source:line_start
    valid: bool
    reason: str = ""
    relevant: bool = True  # ALCE precision: needed by the sentence that cites it
    on_gold: bool = False  # points at a gold line, or its quote holds a key fact


class SentenceCheck(BaseModel):
    text: str
    citation_ids: list[int]
    supported: bool
    why: str
    llm_supported: bool | None = None  # the LLM judge's verdict, when one ran


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


class Copies:
    """Lines by their text, so a line in a duplicate article counts as the golden set's line."""

    def __init__(self, library: SourceLibrary, keys: set[str]) -> None:
        self.library = library
        self.by_text = {text: key for key in sorted(keys) if (text := self.text(key))}

    def text(self, key: str) -> str:
        source, _, number = key.rpartition(":")
        try:
            lines = self.library.get(source).lines
        except SourceNotFound:
            return ""
        n = int(number) if number.isdigit() else 0
        return " ".join(lines[n - 1].text.split()) if 1 <= n <= len(lines) else ""

    def canonical(self, key: str) -> str:
        """The golden set's line of the same text, else the key itself."""
        return self.by_text.get(self.text(key), key) if self.by_text else key


def judge(
    record: GoldenRecord,
    response: dict,
    library: SourceLibrary,
    support: SupportJudge,
    llm_judge: LLMJudge | None = None,
) -> Judgment:
    citations = [Citation.model_validate(c) for c in response.get("citations", [])]
    by_id = {c.id: c for c in citations}
    answer = response.get("answer", "")
    answered = bool(response.get("answered"))

    copies = Copies(library, {g.key for g in record.gold} | {t.key for t in record.traps})
    retrieved: list[str] = []
    for item in response.get("retrieved", []):
        key = copies.canonical(f"{item['source']}:{item['line']}")
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
        sentences.append(
            SentenceCheck(
                text=text,
                citation_ids=list(dict.fromkeys(ids)),
                supported=ok,
                why=why,
                llm_supported=llm_judge.supports(text, cited) if llm_judge else None,
            )
        )
        # ALCE precision: a citation is irrelevant if it alone does not support the sentence
        # and the others support it without it.
        if ok and len(cited) > 1:
            for c in cited:
                alone, _ = support.supports(text, [c])
                rest, _ = support.supports(text, [o for o in cited if o.id != c.id])
                if not alone and rest:
                    next(k for k in checks if k.id == c.id).relevant = False

    lowered = answer.lower() if answered else ""
    quoted = " ".join(c.quote for c in citations).lower()
    facts = [
        next((alt for alt in fact if alt.lower() in lowered and alt.lower() in quoted), None)
        for fact in record.key_facts
    ]
    gold_keys = {g.key for g in record.gold}
    alternatives = [alt.lower() for fact in record.key_facts for alt in fact]
    for check, c in zip(checks, citations, strict=True):
        lines = {copies.canonical(f"{c.source}:{n}") for n in range(c.line_start, c.line_end + 1)}
        check.on_gold = check.valid and bool(lines & gold_keys or any(a in c.quote.lower() for a in alternatives))
    # A refusal may quote what the corpus reports nearest the question: context, not an answer,
    # so its citations hold no facts, cite no gold and spring no trap.
    answering = citations if answered else []
    cited_lines = {copies.canonical(f"{c.source}:{n}") for c in answering for n in range(c.line_start, c.line_end + 1)}
    traps = sorted(cited_lines & {t.key for t in record.traps})
    gold_cited = bool(cited_lines & gold_keys)
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
