"""Questions about an article itself rather than the events it reports: its headline, what it is
mainly about, when it was published, who wrote it, who it quotes.

Such a question is answered from the article's own parts (its title line, its opening paragraph,
its date line, the speakers ingest found), never from a sentence that merely shares its words.
What the article does not record (most give no date, none an author) is said, not guessed.
"""

from ingest.corpus_index import CorpusIndex
from ingest.units import Unit
from service import wording
from service.answerer import Answer
from service.prompts import cannot_answer, load
from service.question import Question
from service.schemas import Citation
from service.scoring import Scored


def answer(question: Question, ranked: list[Scored], index: CorpusIndex, limit: int) -> Answer | None:
    """The asked part of the article the question is about: of the conversation's story for a
    follow-up, else of the likeliest retrieved article that has such a part; or why none can say.
    None when nothing was retrieved."""
    sources = question.story or list(dict.fromkeys(s.candidate.unit.source for s in ranked))
    articles = {source: index.article(source) for source in sources}
    if not any(articles.values()):
        return None
    aspect = question.about_article
    found = next((parts for source in sources if (parts := part_of(aspect, articles[source], limit))), [])
    if not found:
        return refusal(ranked, "article_quotes_no_one" if aspect == "quoted" else f"article_has_no_{aspect}")
    if aspect == "quoted":
        sentences = [wording.sentence_for(u.text, u.speakers, n, True) for n, u in enumerate(found, start=1)]
    else:
        sentences = [f"{wording.article_part(aspect, found[0].text)} [1]"]
    citations = [Citation.of(n, u) for n, u in enumerate(found, start=1)]
    return Answer(text=" ".join(sentences), answered=True, citations=citations, ranked=ranked)


def part_of(aspect: str, units: list[Unit], limit: int) -> list[Unit]:
    """The units that give an article's asked part, in reading order; none when it has no such part."""
    if aspect == "quoted":  # the first sentence of each speaker
        firsts: dict[str, Unit] = {}
        for unit in units:
            for speaker in unit.speakers:
                firsts.setdefault(speaker, unit)
        return list({u.id: u for u in firsts.values()}.values())[:limit]
    kind = {"headline": "title", "opening": "text", "date": "meta"}.get(aspect)
    # The text format records no author (a byline line reads as a heading); authors come with the
    # articles' metadata (issue #15).
    return [u for u in units if u.kind == kind][:1] if kind else []


def refusal(ranked: list[Scored], reason: str) -> Answer:
    return Answer(text=f"{cannot_answer()} {load(reason)}", answered=False, citations=[], ranked=ranked)
