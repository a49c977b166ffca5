"""Quotation state: whether a sentence opens, closes or keeps open a quotation."""

import re

FIRST_QUOTE_MARK = re.compile(r"[“”\"]")
OPENING_QUOTE = re.compile(r"^[\W_]*[“\"«]")


def holds_quotation(sentence: str) -> bool:
    """Whether the sentence gives someone's words in double quotation marks."""
    return bool(FIRST_QUOTE_MARK.search(sentence))


def opens_with_quote(sentence: str) -> bool:
    return bool(OPENING_QUOTE.match(sentence))


def closes_quote(sentence: str) -> bool:
    """Whether the sentence ends a quotation it did not open ('...," said Mr Folkes.'): its first
    quotation mark is a closing one, straight after a word or a stop."""
    first = FIRST_QUOTE_MARK.search(sentence)
    return bool(first) and (
        first.group(0) == "”"
        or (first.group(0) == '"' and first.start() > 0 and not sentence[first.start() - 1].isspace())
    )


def quote_open_after(sentence: str, open_before: bool) -> bool:
    """Whether a quotation is still open after this sentence."""
    balance = sentence.count("“") - sentence.count("”")
    if balance:
        return balance > 0
    if sentence.lstrip().startswith('"'):
        # Paragraphs joined on one line: a quotation left open at a paragraph's end (the
        # typesetters' convention when the next goes on quoting) ends where a new one opens.
        open_before = False
    return open_before != (sentence.count('"') % 2 == 1)
