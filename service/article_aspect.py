"""Whether a question asks about an article itself (its headline, gist, date, author, who it
quotes) rather than the events it reports, and which of these; answered by service/about_article.py."""

import re

# The question names a news article as its object: "the story about ...", "the report on ...",
# "this article" ("the dispute is mainly about", "the Hutton report was published" ask about events).
ARTICLE = (
    r"\b(?:(?:article|story|report|piece|item)\s+(?:about|on|headlined|titled)"
    r"|(?:this|that|the|its|their)\s+(?:article|story|piece))\b"
)
# "headline of", "headline?", "its headline": the noun asked for, not "the story headlined '...'"
# nor the economists' "headline inflation".
HEADLINE = r"\bheadline\b(?=\s+(?:of|for|on)\b|\s*[?.!]*$)|[’']s headline\b|\bits headline\b"
ASPECTS = (
    # Of a named article, or the one the conversation is about ("its headline").
    ("headline", re.compile(rf"(?=.*(?:{ARTICLE}|\bits\b)).*(?:{HEADLINE})", re.I)),
    ("opening", re.compile(rf"{ARTICLE}.*\b(?:mainly|chiefly|mostly|largely|basically) about\b|\bgist\b", re.I)),
    ("date", re.compile(rf"(?=.*{ARTICLE}).*\b(?:published|dated|posted|publication date)\b", re.I)),
    ("author", re.compile(rf"(?=.*{ARTICLE}).*\b(?:who (?:wrote|authored|filed)|author|byline|reporter)\b", re.I)),
    ("quoted", re.compile(rf"(?=.*{ARTICLE}).*\b(?:quoted?|quotes)\b", re.I)),
)


# Every aspect names one of these words: most questions have none, and skip the patterns above,
# whose look-aheads rescan the question.
ASKED = re.compile(r"headline|about|gist|publi|dated|posted|wr[io]te|author|filed|byline|reporter|quot", re.I)


def aspect(text: str) -> str:
    """What of the article the question asks for; "" when it asks about events."""
    if not ASKED.search(text):
        return ""
    return next((name for name, pattern in ASPECTS if pattern.search(text)), "")
