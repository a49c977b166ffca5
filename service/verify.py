"""Run-time citation check: every answer is verified against the source files before it leaves.

A citation stands only if its source exists, its quote is exactly the file's text at its
character span, and that span lies within its stated lines; every marker in the answer must
name a citation. A sentence resting on a failed citation is removed, the rest renumbered.
"""

import re

from service.schemas import Citation, Verification
from service.sources import SourceLibrary, SourceNotFound

MARKER = re.compile(r"\[(\d+)\]")
# An answer sentence ends with its marker(s).
ANSWER_SENTENCE = re.compile(r".*?\[\d+\](?:\s*\[\d+\])*", re.DOTALL)


def citation_error(citation: Citation, library: SourceLibrary) -> str | None:
    try:
        article = library.get(citation.source)
    except SourceNotFound as exc:
        return str(exc)
    text = article.text
    if not 0 <= citation.char_start < citation.char_end <= len(text):
        return f"[{citation.id}] span {citation.char_start}-{citation.char_end} is outside {citation.source}"
    if text[citation.char_start : citation.char_end] != citation.quote:
        return f"[{citation.id}] quote differs from {citation.source} at its span"
    first = article.line_at(citation.char_start).number
    last = article.line_at(citation.char_end - 1).number
    if first < citation.line_start or last > citation.line_end:
        return f"[{citation.id}] span lies on lines {first}-{last}, not {citation.line_start}-{citation.line_end}"
    return None


def split_sentences(answer: str) -> list[str]:
    parts = [m.group(0).strip() for m in ANSWER_SENTENCE.finditer(answer)]
    tail = ANSWER_SENTENCE.sub("", answer).strip()
    return parts + ([tail] if tail else [])


def verify(answer: str, citations: list[Citation], library: SourceLibrary) -> tuple[str, list[Citation], Verification]:
    removed: list[str] = []
    valid: dict[int, Citation] = {}
    for citation in citations:
        error = citation_error(citation, library)
        if error:
            removed.append(error)
        else:
            valid[citation.id] = citation
    kept_sentences = []
    for sentence in split_sentences(answer):
        ids = [int(i) for i in MARKER.findall(sentence)]
        bad = [i for i in ids if i not in valid]
        if bad:
            removed.append(f"sentence dropped, its citation [{bad[0]}] did not verify: {sentence[:80]}")
            continue
        kept_sentences.append(sentence)
    # Renumber what is left, in order of first use, so markers stay 1..n.
    renumber: dict[int, int] = {}
    for sentence in kept_sentences:
        for i in MARKER.findall(sentence):
            renumber.setdefault(int(i), len(renumber) + 1)
    text = MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", " ".join(kept_sentences))
    final = [valid[old].model_copy(update={"id": new}) for old, new in renumber.items()]
    return text, final, Verification(verified=not removed, checked=len(citations), removed=removed)
