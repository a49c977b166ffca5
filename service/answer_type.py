"""The kind of answer a question asks for, and whether a sentence holds one.

Classic question classification: the question word and its head ("how much ... cost", "what
percentage", "how long", "at what time") say what kind of value answers, and the value is written
out in the sentence that gives it (a currency sign, a per cent, a clock time, a span of years).
A sentence with numbers of another kind ("four goals" for "how much did they want") does not.
"""

import re

from ingest.text import DAYS, MONTHS, YEAR

NUMBER_WORD = (
    r"(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred"
    r"|a|an|several|few)"
)
UNITS_OF_TIME = r"(?:years?|months?|weeks?|days?|hours?|minutes?|seconds?|seasons?|decades?)"

# First match wins: the narrower kinds come before "number".
EXPECTS = (
    (
        re.compile(
            # The verb in any inflection ("spending", "offers").
            r"\bhow much\b(?:(?!\b(?:per ?cent|percentage)\b).)*\b(?:cost|pay|paid|price|sell|sold|"
            r"fetch|worth|spen[dt]|charge|fine|bid|want|raise|earn|owe|invest|offer|lose|lost)\w*\b|"
            r"\bhow much money\b|"
            # "What price ...?", and the noun further on: "What is the list price of ...?"
            r"\bwhat(?:\s+(?:is|was|are|were))?(?:\s+(?:the|a|an|its|his|her|their))?(?:\s+\w+)?"
            r"\s+(?:price|fee|sum|salary|fine|budget)s?\b",
            re.I,
        ),
        "money",
    ),
    (re.compile(r"\b(?:what|which) (?:percentage|proportion|share)\b|\bper ?cent\b", re.I), "percent"),
    (re.compile(r"\bwhat time\b", re.I), "clock"),
    (re.compile(r"\bhow long\b", re.I), "duration"),
    # "What time did he run?" asks for a number (46.68), and so does "how many".
    (re.compile(r"\bhow (?:many|much|old|far)\b", re.I), "number"),
    (
        re.compile(
            r"^\s*when\b|\b(?:what|which) (?:day|date|year|month)\b",
            re.I,
        ),
        "time",
    ),
    (re.compile(r"^\s*where\b|\b(?:what|which) (?:city|country|place|venue|town|ground|stadium)\b", re.I), "place"),
    (re.compile(r"^\s*(?:who|whose)\b|\bwho (?:is|was|were|are)\b", re.I), "person"),
    # "Which companies followed?", "Which race did he win?": the answer is named.
    (re.compile(r"^\s*which\b|^\s*(?:in|at|on|for|from|by|with|to) which\b", re.I), "name"),
)
# Kinds of answer that are values written out in the answering sentence; a place or a person
# may be named elsewhere in the article.
VALUES = frozenset({"money", "percent", "clock", "duration", "number", "time"})

EVIDENCE = {
    "money": re.compile(r"[£$€¥]\s?\d|\b\d[\d,.]*\s?(?:pounds|dollars|euros|pence|cents|yen|rupees)\b", re.I),
    "percent": re.compile(r"\d\s?(?:%|per ?cent\b|percentage points?\b)", re.I),
    # A time of day, or the time a race took.
    "clock": re.compile(
        rf"\b\d{{1,2}}[.:]\d\d\s?(?:am|pm)?\b|\b\d{{1,2}}\s?(?:am|pm)\b|\b{NUMBER_WORD}\s+(?:hours?|minutes?|seconds?)\b",
        re.I,
    ),
    "duration": re.compile(rf"\b{NUMBER_WORD}[\s-]+{UNITS_OF_TIME}\b|\b(?:since|until)\b", re.I),
    "number": re.compile(
        r"\b(?:\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion)\b",
        re.I,
    ),
    "time": re.compile(rf"\b(?:{MONTHS}|{DAYS}|yesterday|today|ago|\d{{4}}-\d\d-\d\d)\b|{YEAR}"),
    "place": re.compile(r"\b(?:in|at|from|to)\s+(?:the\s+)?([A-Z][\w’'-]+)"),
    "person": re.compile(r"\b([A-Z][\w’'-]+)\s+([A-Z][\w’'-]+)\b"),
    "name": re.compile(r"(?<=[\w,;:’'\"“”)]\s)([A-Z][\w’'-]+)"),  # a capitalised word after the first
}
# Kinds answered by a name: the name must be one the question does not already give ("Who
# beat Moya?" is not answered by "Moya lost").
NAMED = frozenset({"place", "person", "name"})


def expected(question: str) -> str:
    """What kind of answer the question asks for; "" when it does not say."""
    return next((kind for pattern, kind in EXPECTS if pattern.search(question)), "")


def holds(kind: str, sentence: str, question: str = "") -> bool:
    """Whether the sentence holds a value of that kind (for a name, one the question does not
    give)."""
    if not kind:
        return False
    if kind not in NAMED:
        return bool(EVIDENCE[kind].search(sentence))
    asked = {w.lower() for w in re.findall(r"[\w’'-]+", question)}
    return any(any(name.lower() not in asked for name in m.groups()) for m in EVIDENCE[kind].finditer(sentence))
