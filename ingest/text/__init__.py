"""Text analysis shared by ingest and the service: the one home of its rules and word lists.

The service uses this surface only (ingest's own attribution uses the modules directly):
- words and stems: `words`, `stem`, `content_stems`, `topic_stems`, `is_content`, `covered`,
  `WORD`, `QUESTION_WORDS`, `STOPWORDS` (lexicon.py);
- names and dates: `NAME_RUN`, `TITLES`, `titled_names`, `is_institution`, `MONTHS`, `DAYS`,
  `YEAR` (names.py);
- speech: `ASKING_VERBS`, `STANCE_NOUNS` (regex alternations for questions), `STATEMENT` (a
  body's plain report), `HEDGE` (an expectation, not an outcome), `according_to` (speech.py);
- quotations: `holds_quotation`, `opens_with_quote`, `closes_quote`, `quote_open_after` (quotes.py).
Word lists are data in `words/`, loaded once by wordlists.py.
"""

from ingest.text.lexicon import (
    QUESTION_WORDS,
    STOPWORDS,
    WORD,
    content_stems,
    covered,
    is_content,
    stem,
    topic_stems,
    words,
)
from ingest.text.names import DAYS, MONTHS, NAME_RUN, TITLES, YEAR, is_institution, titled_names
from ingest.text.quotes import closes_quote, holds_quotation, opens_with_quote, quote_open_after
from ingest.text.speech import ASKING_VERBS, HEDGE, STANCE_NOUNS, STATEMENT, according_to

__all__ = [
    "ASKING_VERBS",
    "DAYS",
    "HEDGE",
    "MONTHS",
    "NAME_RUN",
    "QUESTION_WORDS",
    "STANCE_NOUNS",
    "STATEMENT",
    "STOPWORDS",
    "TITLES",
    "WORD",
    "YEAR",
    "according_to",
    "closes_quote",
    "content_stems",
    "covered",
    "holds_quotation",
    "is_content",
    "is_institution",
    "opens_with_quote",
    "quote_open_after",
    "stem",
    "titled_names",
    "topic_stems",
    "words",
]
