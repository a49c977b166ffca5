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


def masked(answer: str, quotes: list[str]) -> tuple[str, dict[str, str]]:
    """The answer with each quoted passage replaced by a placeholder, so that a "[2]" inside a
    quotation is not taken for a marker."""
    table: dict[str, str] = {}
    for n, quote in enumerate(sorted(set(q for q in quotes if q), key=len, reverse=True)):
        if quote in answer:
            key = f"\x00{n}\x00"
            table[key] = quote
            answer = answer.replace(quote, key)
    return answer, table


def unmasked(text: str, table: dict[str, str]) -> str:
    for key, quote in table.items():
        text = text.replace(key, quote)
    return text


def split_sentences(answer: str, quotes: list[str] = ()) -> list[str]:
    """Answer sentences, each ending with its markers; a last unmarked part stands alone."""
    hidden, table = masked(answer, list(quotes))
    parts = [m.group(0).strip() for m in ANSWER_SENTENCE.finditer(hidden)]
    tail = ANSWER_SENTENCE.sub("", hidden).strip()
    return [unmasked(p, table) for p in parts + ([tail] if tail else [])]


def markers(text: str, quotes: list[str] = ()) -> list[int]:
    """Marker ids in order of appearance, outside quoted passages."""
    hidden, _ = masked(text, list(quotes))
    return [int(m) for m in MARKER.findall(hidden)]


def verify(answer: str, citations: list[Citation], library: SourceLibrary) -> tuple[str, list[Citation], Verification]:
    removed: list[str] = []
    valid: dict[int, Citation] = {}
    for citation in citations:
        error = citation_error(citation, library)
        if error:
            removed.append(error)
        else:
            valid[citation.id] = citation
    quotes = [c.quote for c in citations]
    kept_sentences = []
    for sentence in split_sentences(answer, quotes):
        ids = markers(sentence, quotes)
        bad = [i for i in ids if i not in valid]
        if bad:
            removed.append(f"sentence dropped, its citation [{bad[0]}] did not verify: {sentence[:80]}")
            continue
        kept_sentences.append(sentence)
    # Renumber what is left, in order of first use, so markers stay 1..n.
    renumber: dict[int, int] = {}
    for sentence in kept_sentences:
        for i in markers(sentence, quotes):
            renumber.setdefault(i, len(renumber) + 1)
    hidden, table = masked(" ".join(kept_sentences), quotes)
    text = unmasked(MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", hidden), table)
    final = [valid[old].model_copy(update={"id": new}) for old, new in renumber.items()]
    return text, final, Verification(verified=not removed, checked=len(citations), removed=removed)
