"""Words as retrieval and answer scoring see them: lower-cased, stemmed, stop words out."""

import re
from functools import lru_cache

import Stemmer
from llama_index.core.utils import globals_helper

from ingest.structure import POSSESSIVE

WORD = re.compile(r"[^\W_]+(?:[’'][^\W_]+)*")
# Words that shape a question but say nothing about its topic.
QUESTION_WORDS = {
    "what",
    "which",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "did",
    "does",
    "do",
    "say",
    "said",
    "says",
    "tell",
    "told",
    "according",
    "mention",
    "mentioned",
    "article",
    "articles",
    "corpus",
    "report",
    "reported",
    "think",
    "thought",
    "view",
    "views",
    "position",
    "stance",
    "comment",
    "comments",
    "statement",
    "statements",
    "describe",
    "explain",
    "also",
    "many",
    "much",
    "happen",
    "happened",
    "anything",
    "something",
    "exactly",
    "specifically",
    "would",
    "could",
    "should",
    "get",
    "got",
    "give",
    "gave",
    "given",
}
_STEMMER = Stemmer.Stemmer("english")
# Irregular past forms a stemmer cannot reach ("met" should find "meet").
IRREGULAR = {
    "met": "meet",
    "held": "hold",
    "told": "tell",
    "said": "say",
    "went": "go",
    "gone": "go",
    "took": "take",
    "taken": "take",
    "made": "make",
    "gave": "give",
    "given": "give",
    "came": "come",
    "saw": "see",
    "seen": "see",
    "thought": "think",
    "began": "begin",
    "begun": "begin",
    "knew": "know",
    "known": "know",
    "won": "win",
    "left": "leave",
    "brought": "bring",
    "sought": "seek",
    "spoke": "speak",
    "spoken": "speak",
    "chose": "choose",
    "chosen": "choose",
    "fell": "fall",
    "fallen": "fall",
    "rose": "rise",
    "risen": "rise",
    "wrote": "write",
    "written": "write",
    "led": "lead",
    "sent": "send",
    "spent": "spend",
    "built": "build",
    "fought": "fight",
    "bought": "buy",
    "sold": "sell",
    "paid": "pay",
    "kept": "keep",
    "meant": "mean",
    "lost": "lose",
    "ran": "run",
    "struck": "strike",
    "drew": "draw",
    "drawn": "draw",
    "grew": "grow",
    "grown": "grow",
    "stood": "stand",
}


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
    return word.isdigit() or (len(word) > 1 and word not in globals_helper.stopwords)


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


def covered(term: str, present: set[str]) -> bool:
    if term in present:
        return True
    return len(term) >= MIN_PREFIX_MATCH and any(
        len(p) >= MIN_PREFIX_MATCH and (p.startswith(term) or term.startswith(p)) for p in present
    )
