"""The normalised copy of an article that is not a .txt file: the text its citations point into.

Line 1 is the title, line 2 is empty, then one paragraph per line, as the .txt articles are
laid out (ingest/layout.py reads all of them alike). Ingest keeps it in Chroma beside the
article's metadata and in each index generation; `/api/sources/{source}` serves it, and line
numbers and character offsets refer to it.
"""

import re

# White space inside a paragraph (tabs, line breaks a page or record kept, no-break spaces)
# becomes one space, so that a paragraph is one line.
SPACE = re.compile(r"\s+")


def paragraphs_of(text: str) -> list[str]:
    """The non-empty paragraphs of plain text whose lines are paragraphs."""
    lines = (SPACE.sub(" ", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def compose(title: str, paragraphs: list[str]) -> str:
    body = [SPACE.sub(" ", p).strip() for p in paragraphs]
    body = [p for p in body if p]
    # A page or record often repeats its headline as the first paragraph: said once.
    if body and title and body[0] == title:
        body = body[1:]
    head = [title, ""] if title else []
    return "\n".join(head + body) + "\n"
