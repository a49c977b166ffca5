"""A question that asks two things at once, split into its parts.

"Who chaired the meeting, and where was it held?" is two questions; "Where and when is the
ceremony?" too; "What did the firm announce and why?" asks the why of the same announcement.
Each part is answered by its own sentence (service/extractive.py).
"""

import re

WH = r"(?:who|whom|whose|what|which|where|when|why|how(?:\s+(?:much|many|long|old|far))?)"
# ", and where ...", " and why?", " and on which ...": a second question word after "and" (and a
# preposition) starts the second part.
PREPOSITION = r"(?:on|in|at|for|from|by|with|to|of|since|until)"
SECOND_PART = re.compile(rf",?\s+and\s+(?=(?:{PREPOSITION}\s+)?{WH}\b)", re.IGNORECASE)
# "Where and when is ...?": two question words sharing one predicate.
SHARED = re.compile(rf"^\s*(?P<first>{WH})\s+and\s+(?P<second>{WH})\s+(?P<rest>.+)$", re.IGNORECASE)
LEADING_WH = re.compile(rf"^\s*(?:{PREPOSITION}\s+)?{WH}\b\s*", re.IGNORECASE)


def split_parts(text: str) -> list[str]:
    """The questions a question asks; one when it asks one thing."""
    body = text.strip().rstrip("?").strip()
    shared = SHARED.match(body)
    if shared:
        rest = shared.group("rest")
        return [f"{shared.group('first').capitalize()} {rest}?", f"{shared.group('second').capitalize()} {rest}?"]
    pieces = [p.strip() for p in SECOND_PART.split(body) if p.strip()]
    if len(pieces) < 2:
        return [text]
    first = pieces[0]
    parts = [f"{first}?"]
    for piece in pieces[1:]:
        if LEADING_WH.sub("", piece):
            parts.append(f"{piece[:1].upper()}{piece[1:]}?")
        else:  # "... and why?": the bare question word asks about the first part's predicate
            parts.append(f"{piece.capitalize()} {LEADING_WH.sub('', first)}?")
    return parts
