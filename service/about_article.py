"""Questions about an article itself rather than the events it reports: its headline, what it is
mainly about, when it was published, who wrote it, who it quotes.

Such a question is answered from the article's own parts (its title line, its opening paragraph,
its date line, the speakers ingest found), never from a sentence that merely shares its words.
What the article does not record (most give no date, none an author) is said, not guessed.
"""

from service import wording
from service.answerer import Answer
from service.corpus_index import CorpusIndex
from service.prompts import cannot_answer, load
from service.question import Question
from service.schemas import Citation
from service.scoring import Scored


def answer(question: Question, ranked: list[Scored], index: CorpusIndex, limit: int) -> Answer | None:
    """The asked part of the article the question is about (the last answer's, for a follow-up;
    else the likeliest sentence's), or why the article cannot say; None when nothing was retrieved."""
    source = question.story[0] if question.story else (ranked[0].candidate.unit.source if ranked else "")
    units = index.by_source.get(source, [])
    if not units:
        return None
    if question.about_article == "quoted":
        firsts = {}
        for unit in units:
            for speaker in unit.speakers:
                firsts.setdefault(speaker, unit)
        quoted = list({u.id: u for u in firsts.values()}.values())[:limit]
        if not quoted:
            return refusal(ranked, "article_quotes_no_one")
        sentences = [wording.sentence_for(u.text, u.speakers, n, True) for n, u in enumerate(quoted, start=1)]
        citations = [Citation.of(n, u) for n, u in enumerate(quoted, start=1)]
        return Answer(text=" ".join(sentences), answered=True, citations=citations, ranked=ranked)
    part = {
        "headline": next((u for u in units if u.kind == "title"), None),
        "opening": next((u for u in units if u.kind == "text"), None),
        "date": next((u for u in units if u.kind == "meta"), None),
        # The text format records no author (a byline line reads as a heading); authors come with
        # the articles' metadata (issue #15).
        "author": None,
    }[question.about_article]
    if part is None:
        return refusal(ranked, f"article_has_no_{question.about_article}")
    text = f"{wording.article_part(question.about_article, part.text)} [1]"
    return Answer(text=text, answered=True, citations=[Citation.of(1, part)], ranked=ranked)


def refusal(ranked: list[Scored], reason: str) -> Answer:
    return Answer(text=f"{cannot_answer()} {load(reason)}", answered=False, citations=[], ranked=ranked)
