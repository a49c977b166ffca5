"""A speaker's statement around one of its sentences, so an answer can quote it whole.

Sentences are the units of retrieval, but a statement often runs over several: 'Mr Oaten said
the plan was right. "But police are buried in paperwork."' The point is often in the sentence
that was not retrieved. Only sentences on the same line with the same speaker belong, and only
while a quotation holds them together.
"""

from ingest.corpus_index import CorpusIndex
from ingest.text import closes_quote, opens_with_quote, quote_open_after
from ingest.units import Unit

# A statement reaches at most this many sentences before and after the one chosen.
MAX_REACH = 2


def opening(unit: Unit, index: CorpusIndex) -> list[Unit]:
    """The start of a quotation the sentence closes: '"Candidacy affects only politicians.
    The voting age affects millions," said Alex Folkes.'"""
    found: list[Unit] = []
    if opens_with_quote(unit.text) or not closes_quote(unit.text):
        return found
    while len(found) < MAX_REACH:
        before = index.preceding(unit)
        if before is None or before.speakers != unit.speakers:
            return []  # no opening within reach: the sentence stands as it is
        found.insert(0, before)
        if opens_with_quote(before.text):
            return found
        unit = before
    return []


def continuation(unit: Unit, index: CorpusIndex) -> list[Unit]:
    """The rest of the statement: the quotation the sentence leaves open, or one that follows it."""
    found: list[Unit] = []
    open_quote = quote_open_after(unit.text, False)
    while len(found) < MAX_REACH:
        after = index.following(unit)
        if after is None or after.speakers != unit.speakers:
            break
        if not (open_quote or opens_with_quote(after.text)):
            break
        found.append(after)
        open_quote = quote_open_after(after.text, open_quote)
        unit = after
    return found


def whole(unit: Unit, index: CorpusIndex) -> list[Unit]:
    """The statement `unit` is part of, in order."""
    return [*opening(unit, index), unit, *continuation(unit, index)]
