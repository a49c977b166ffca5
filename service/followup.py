"""Deterministic follow-up rewriting: a question that leans on the conversation becomes one
that stands alone, before retrieval.

Carried forward from the last turns: the person last discussed (named in the last standalone
question, or else the speaker of its first citation) and the topic (what the last standalone
question asked "about"). "What did he say about sanctions?" names the person again; "And what
did Grushko say about it?" takes the new person and the old topic; "What about Grushko?" swaps
the person; "What about sanctions?" swaps the topic.
"""

import re

from ingest.corpus_index import CorpusIndex
from service.conversations import Turn
from service.question import analyse

LEAD_IN = re.compile(r"^(?:and|so|also|but|ok|okay|then|well)\b[,\s]*", re.IGNORECASE)
WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<x>.+?)[\s?.!]*$", re.IGNORECASE)
TOPIC = re.compile(r"\b(?:about|on|regarding|concerning|over)\s+(?P<topic>.+?)[\s?.!]*$", re.IGNORECASE)
TOPIC_ANAPHORA = re.compile(r"\b(?P<prep>about|on|regarding|concerning|over|of)\s+(?:it|that|this|them)\b", re.I)
PERSON_PRONOUN = re.compile(r"\b(?:he|she|him)\b", re.IGNORECASE)
POSSESSIVE_PRONOUN = re.compile(r"\b(?:his|her)\b", re.IGNORECASE)
ALSO = re.compile(r"\b(?:too|as well|also)\b", re.IGNORECASE)
# Words that point back into the conversation: "Who directed it?", "Did they pull it off?",
# "What was that figure?", "And in England?" (a place or time swapped in, the rest implied).
REFERENCE = re.compile(
    r"\b(?:it|its|they|them|their|there|then|that|this|those|these|he|she|him|her|his|before|instead)\b",
    re.IGNORECASE,
)


def short_name(label: str) -> str:
    """How a question calls a speaker: "NATO Secretary General Jens Stoltenberg" -> "Stoltenberg"."""
    return label.split()[-1] if label.strip() else ""


def person_in(text: str, index: CorpusIndex) -> str:
    persons = analyse(text, index).persons
    if persons:
        return short_name(persons[0])
    for word in re.findall(r"\b[A-Z][\w’'-]+", text):
        if index.is_titled(word.lower()):  # a person the corpus gives a title, not "Wales"
            return word
    return ""


def topic_of(text: str) -> str:
    match = TOPIC.search(text)
    return match.group("topic") if match else ""


def context(history: list[Turn], index: CorpusIndex) -> tuple[str, str, str]:
    """The last standalone question, the person last discussed, the topic last asked about."""
    if not history:
        return "", "", ""
    last = history[-1].rewritten_question
    person = topic = ""
    for turn in reversed(history):
        person = person or person_in(turn.rewritten_question, index)
        if not person and turn.citations and turn.citations[0].speakers:
            person = short_name(turn.citations[0].speakers[0])
        topic = topic or topic_of(turn.rewritten_question)
        if person and topic:
            break
    return last, person, topic


def _capitalised(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def rewrite(question: str, history: list[Turn], index: CorpusIndex) -> str:
    """The standalone question to retrieve with; the question itself when it needs no history."""
    last, person, topic = context(history, index)
    if not last:
        return question
    q = LEAD_IN.sub("", question.strip()) or question.strip()
    leaned = q != question.strip()
    named = person_in(q, index)

    about = WHAT_ABOUT.match(q)
    if about:
        x = about.group("x")
        if person_in(x, index):
            if person and re.search(rf"\b{re.escape(person)}\b", last):
                return re.sub(rf"\b{re.escape(person)}\b", x, last)
            return f"What did {x} say about {topic}?" if topic else f"What did {x} say?"
        if topic:
            return last.replace(topic, x, 1)
        return f"What did {person} say about {x}?" if person else question

    rewritten = q
    if person and not named:
        rewritten = POSSESSIVE_PRONOUN.sub(f"{person}'s", rewritten)
        rewritten = PERSON_PRONOUN.sub(person, rewritten)
    if topic:
        rewritten = TOPIC_ANAPHORA.sub(lambda m: f"{m.group('prep')} {topic}", rewritten)
        if named and not topic_of(rewritten) and (leaned or ALSO.search(q)):
            rewritten = f"{rewritten.rstrip(' ?.!')} about {topic}?"
    return _capitalised(rewritten) if rewritten != q or leaned else question


def leans_on_history(question: str) -> bool:
    """Whether a question needs the conversation: it opens with "And ..." or "What about ...",
    or points back with "it", "they", "him", "that", "there" (even once the rules have named him,
    what he did is the conversation's topic)."""
    q = question.strip()
    return bool(LEAD_IN.match(q) or WHAT_ABOUT.match(q) or REFERENCE.search(q))


def earlier_questions(history: list[Turn], turns: int = 2) -> str:
    """The last questions asked, as rewritten: the context of a follow-up that leans on them
    (two, for a follow-up of a follow-up)."""
    return " ".join(t.rewritten_question for t in history[-turns:])


def quoted_before(history: list[Turn]) -> list[str]:
    """The sentences the last answer quoted, as "source:offset"."""
    return [f"{c.source}:{c.char_start}" for c in history[-1].citations] if history else []


def story(history: list[Turn]) -> list[str]:
    """The articles the last answer quoted, first quoted first: what a leaning follow-up is about."""
    return list(dict.fromkeys(c.source for c in history[-1].citations)) if history else []
