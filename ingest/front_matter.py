"""An optional block of metadata at the top of a .txt article:

    ---
    title: NATO chief warns Russia over Ukraine
    published: 2022-01-12
    url: https://news.example.com/world/nato-warns
    authors: Jane Reporter, John Writer
    section: World
    ---

The block's lines stay in the file (citations count lines in the file as it is) but are no
part of the article's text: no sentence is cut from them.
"""

import re

from ingest.article_meta import ArticleMeta, meta_from
from ingest.corpus import Article

FENCE = "---"
MAX_LINES = 30
FIELD = re.compile(r"^\s*(?P<key>[A-Za-z_]+)\s*:\s*(?P<value>.*?)\s*$")


def front_matter(article: Article) -> tuple[ArticleMeta, int]:
    """The block's metadata and the number of the first line after it (1 when there is none)."""
    lines = article.lines
    if not lines or lines[0].text.strip() != FENCE:
        return ArticleMeta(), 1
    fields: dict[str, object] = {}
    for line in lines[1 : MAX_LINES + 1]:
        if line.text.strip() == FENCE:
            return meta_from(fields), line.number + 1
        match = FIELD.match(line.text)
        if not match:
            break
        fields[match.group("key").lower()] = match.group("value")
    return ArticleMeta(), 1  # not closed, or not fields: an article that starts with a rule
