"""The default answerer: chooses the source sentences that answer and quotes them verbatim.

It needs no LLM, so everything it states is a quote with its attribution. Choosing is the
hard part: the selector (service/selector.py, fitted on the dev sets) judges from general
signals whether each retrieved sentence answers, and when the question asks what someone said,
only that person's own statements qualify; anything else is an attribution error, however
similar it reads.
"""

from datetime import date

from ingest.corpus_index import CorpusIndex
from ingest.text import WORD, words
from service import about_article, selector, statements, wording
from service.answerer import Answer
from service.judging import answers, judged
from service.prompts import cannot_answer
from service.question import Question, surname
from service.retrieve import Candidate
from service.schemas import Citation
from service.scope import spoken
from service.scoring import Scored, misses_the_names, stems_of

# Units of one paragraph share their embedded context, so vectors cannot tell duplicates
# apart; shared words can.
DUPLICATE_OVERLAP = 0.6


def overlap(a: Scored, b: Scored) -> float:
    wa, wb = stems_of(a.candidate.unit.text), stems_of(b.candidate.unit.text)
    return len(wa & wb) / max(1, min(len(wa), len(wb)))


def select(ranked: list[Scored], limit: int) -> list[Scored]:
    chosen: list[Scored] = []
    for s in ranked:
        if len(chosen) == limit:
            break
        if not s.eligible:
            continue
        if not chosen and not answers(s):
            break  # the likeliest sentence does not answer: nothing does
        if chosen and not answers(s):  # a second or third quote must answer too
            break
        if any(overlap(s, c) > DUPLICATE_OVERLAP for c in chosen):
            continue
        chosen.append(s)
    return chosen


def with_whole_statements(chosen: list[Scored], index: CorpusIndex) -> list[Scored]:
    """Each chosen statement of the asked person quoted whole, its other sentences ranked with it."""
    kept: dict[str, Scored] = {}
    for s in chosen:
        units = statements.whole(s.candidate.unit, index) if s.own_words else [s.candidate.unit]
        for unit in units:
            candidate = Candidate(unit=unit, similarity=s.candidate.similarity)
            kept.setdefault(unit.id, s.model_copy(update={"candidate": candidate}))
    return list(kept.values())


def named_as(question: Question) -> str:
    """Each person asked about once, by the label closest to the question's own words
    ("Michael Howard", not also "Leader Michael Howard" and "Mr Howard")."""
    asked = set(words(question.text))
    best: dict[str, tuple[int, str]] = {}
    for label in question.persons:
        label_words = set(words(label))
        fit = len(label_words & asked) - len(label_words - asked)
        called = surname(label) or label
        if called not in best or fit > best[called][0]:
            best[called] = (fit, label)
    if not best and question.voice:  # a body: as the question writes it ("Scotland Yard")
        return " ".join(dict.fromkeys(w for w in WORD.findall(question.text) if words(w)[0] in question.voice))
    return " or ".join(label for _, label in best.values())


def refusal(question: Question, ranked: list[Scored]) -> Answer:
    """No sentence answers: say why, or what the corpus does report nearest to it ("is expected
    to fetch £2m" for "What did it sell for?"), quoted and cited, so a reader sees the gap. Not
    for someone else's words when a person's were asked for, nor for a question about what the
    corpus never mentions."""
    if question.unknown_names:
        text = f"{cannot_answer()} {wording.unmentioned(question.unknown_names)}"
        return Answer(text=text, answered=False, citations=[], ranked=ranked)
    if question.asks_speech:
        text = f"{cannot_answer()} {wording.no_statement(named_as(question))}"
        return Answer(text=text, answered=False, citations=[], ranked=ranked)
    # What would have answered but for a rule: an expectation offered for an outcome ("is
    # expected to fetch £2m" for "What did it sell for?"), another year than the one asked.
    threshold = selector.model().threshold
    ruled_out = (s for s in ranked if not s.eligible and s.answers >= threshold)
    nearest = next((s for s in ruled_out if not misses_the_names(s, question)), None)
    if nearest is None:
        return Answer(text=cannot_answer(), answered=False, citations=[], ranked=ranked)
    unit = nearest.candidate.unit
    text = f"{cannot_answer()} {wording.nearest(unit.text, unit.speakers)}"
    return Answer(text=text, answered=False, citations=[Citation.of(1, unit)], ranked=ranked)


def newest(ranked: list[Scored]) -> list[Scored]:
    """For "the latest": the ranked sentences of the newest day on which a dated article has one
    that answers; all of them when no dated sentence answers."""
    days = [s.candidate.unit.published[:10] for s in ranked if s.eligible and answers(s) and s.candidate.unit.published]
    if not days:
        return ranked
    return [s for s in ranked if s.candidate.unit.published[:10] == max(days)]


def newest_first(chosen: list[Scored]) -> list[Scored]:
    """The dated statements newest first, in the places dated statements hold (the undated keep
    theirs, best first): a reader of news wants the latest word before older ones."""
    slots = [i for i, s in enumerate(chosen) if s.candidate.unit.published]
    dated = sorted((chosen[i] for i in slots), key=lambda s: s.candidate.unit.published[:10], reverse=True)
    ordered = list(chosen)
    for i, s in zip(slots, dated, strict=True):
        ordered[i] = s
    return ordered


def compose(chosen: list[Scored]) -> tuple[str, list[Citation]]:
    """Each quoted with its attribution, its article's date where known and new, and its marker."""
    sentences, citations, seen_speakers = [], [], set()
    last_day = ""
    for marker, s in enumerate(newest_first(chosen), start=1):
        unit = s.candidate.unit
        day = spoken(date.fromisoformat(unit.published[:10])) if unit.published else ""
        first = unit.speaker not in seen_speakers
        sentences.append(wording.sentence_for(unit.text, unit.speakers, marker, first, day if day != last_day else ""))
        seen_speakers.add(unit.speaker)
        last_day = day
        citations.append(Citation.of(marker, unit))
    return " ".join(sentences), citations


def by_parts(question: Question, candidates: list[Candidate], index: CorpusIndex) -> tuple[list[Scored], list[str]]:
    """For a question asking two things, each part's likeliest answering sentence (not one
    already chosen for another part), and the parts nothing answers."""
    chosen: list[Scored] = []
    unanswered = []
    for part in question.parts:
        taken = {c.candidate.unit.id for c in chosen}
        # A later part leans on the earlier ones as a follow-up does: it is about their story.
        story = sorted({c.candidate.unit.source for c in chosen}) or part.story
        ranked = judged(part.model_copy(update={"story": story}), candidates, index)
        best = next((s for s in ranked if s.candidate.unit.id not in taken), None)
        if best is not None and answers(best):
            chosen.append(best)
        else:
            unanswered.append(part.text)
    return chosen, unanswered


class ExtractiveAnswerer:
    """Quotes at most `limit` sentences (each statement of an asked person whole)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def answer(self, question: Question, candidates: list[Candidate], index: CorpusIndex) -> Answer:
        ranked = judged(question, candidates, index)
        if question.unknown_names:
            return refusal(question, ranked)
        if question.about_article:
            about = about_article.answer(question, ranked, index, self.limit)
            if about is not None:
                return about
        if question.parts:
            chosen, unanswered = by_parts(question, candidates, index)
            if chosen:
                text, citations = compose(chosen)
                text += wording.not_reported(unanswered)
                return Answer(text=text, answered=True, citations=citations, ranked=ranked)
        chosen = select(newest(ranked) if question.latest else ranked, self.limit)
        if not chosen:
            return refusal(question, ranked)
        if question.asks_speech:
            chosen = with_whole_statements(chosen, index)
        text, citations = compose(chosen)
        return Answer(text=text, answered=True, citations=citations, ranked=ranked)
