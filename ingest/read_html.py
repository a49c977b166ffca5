"""Web pages (.html, .htm, and pages fetched for feed items): main text and metadata.

trafilatura finds the article's text among menus, footers and comments, and its metadata
(title, authors, canonical URL, section); htmldate finds the publication date, keeping the time
and offset when the page gives them, which trafilatura's own date drops.
"""

from htmldate import find_date
from trafilatura import bare_extraction

from ingest.article_meta import ArticleMeta, clean_authors, clean_text, clean_url, parse_published
from ingest.corpus import UnreadableSource
from ingest.normalised import compose, paragraphs_of

# htmldate's format for a date-time; a page with a date only gives midnight, read as the day.
DATE_TIME = "%Y-%m-%dT%H:%M:%S%z"


def extract_html(html: str, source: str, url: str | None = None) -> tuple[str, ArticleMeta]:
    """The normalised text of the page's article and its metadata; `url` is where it was
    fetched from, used when the page names no canonical URL."""
    try:
        found = bare_extraction(html, url=url, with_metadata=True, include_comments=False, favor_precision=True)
    except Exception as exc:  # lxml and trafilatura raise many types on broken markup
        raise UnreadableSource(f"{source}: not a readable web page ({type(exc).__name__})") from None
    text = (found.text if found else None) or ""
    paragraphs = paragraphs_of(text)
    if not paragraphs:
        raise UnreadableSource(f"{source}: no article text found in the page")
    title = clean_text(found.title)
    meta = ArticleMeta(
        title=title,
        published=_published(html, found.date),
        url=clean_url(found.url) or clean_url(url),
        authors=clean_authors(found.author or ""),
        section=clean_text((found.categories or [""])[0]),
    )
    return compose(title, paragraphs), meta


def _published(html: str, fallback: str | None) -> str | None:
    try:
        found = find_date(html, outputformat=DATE_TIME, original_date=True, extensive_search=False)
    except Exception:  # htmldate on hostile markup: the page's date is unknown, not fatal
        found = None
    if found and found.endswith("T00:00:00"):
        found = found[:10]
    return parse_published(found) or parse_published(fallback)
