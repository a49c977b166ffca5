"""Words as retrieval and answer scoring see them: lower-cased, stemmed, stop words out."""

import bisect
import re
from collections.abc import Set as AbstractSet
from functools import lru_cache

import Stemmer

from ingest.shipped import english_stopwords
from ingest.text.names import POSSESSIVE
from ingest.text.wordlists import load, table

WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*")
# Words that shape a question but say nothing about its topic.
QUESTION_WORDS = frozenset(load("question_words"))
STOPWORDS = english_stopwords()
_STEMMER = Stemmer.Stemmer("english")
# Irregular past forms a stemmer cannot reach ("met" should find "meet").
IRREGULAR = dict(table("irregular_verbs"))


def words(text: str) -> list[str]:
    """Lower-cased word tokens with possessives removed ("Ukraine’s" -> "ukraine")."""
    return [POSSESSIVE.sub("", w.lower()) for w in WORD.findall(text)]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    # "membership" and "member" should meet; Snowball keeps "-ship" words whole.
    word = IRREGULAR.get(word, word)
    if word.endswith("ship") and len(word) > 7:
        word = word[:-4]
    return _STEMMER.stemWord(word)


def is_content(word: str) -> bool:
    return word.isdigit() or (len(word) > 1 and word not in STOPWORDS)


def content_stems(text: str) -> list[str]:
    return [stem(w) for w in words(text) if is_content(w)]


def topic_stems(text: str, exclude: set[str] = frozenset()) -> list[str]:
    """Content stems of a question, without its question words or the `exclude` words."""
    seen: dict[str, None] = {}
    for w in words(text):
        if is_content(w) and w not in QUESTION_WORDS and w not in exclude:
            seen[stem(w)] = None
    return list(seen)


# Stems this long that begin one another are the same word to a reader ("russia"/"russian",
# "difficulti"/"difficult"), though the stemmer keeps them apart.
MIN_PREFIX_MATCH = 5


def covered(term: str, present: AbstractSet[str]) -> bool:
    if term in present:
        return True
    if len(term) < MIN_PREFIX_MATCH:
        return False
    # A present stem that begins the term is one of the term's prefixes; one the term begins
    # sorts right after it. Answering asks this hundreds of times a question, over the same
    # few sets: a scan of every stem each time was a sixth of its cost.
    if any(term[:k] in present for k in range(MIN_PREFIX_MATCH, len(term))):
        return True
    ordered = _in_order(present if isinstance(present, frozenset) else frozenset(present))
    after = bisect.bisect_left(ordered, term)
    return after < len(ordered) and ordered[after].startswith(term)


@lru_cache(maxsize=8192)
def _in_order(present: frozenset[str]) -> list[str]:
    return sorted(present)
