"""What is known about an article besides its text: title, publication date, URL, authors, section.

Every input format (ingest/documents.py) reads these into one model; they travel with each unit
into Chroma (filterable metadata) and with each citation to the reader. Dates are kept as the
source wrote them, normalised to ISO 8601: a date ("2022-01-13") or a date-time with its offset
when the source gives one ("2022-01-12T14:30:00+01:00"). Filters compare calendar days as the
source dated them (`published_day`), so an article is never moved to another day by a time zone.
"""

import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

from pydantic import BaseModel, Field

# Dates outside this span are typos or placeholders (0001-01-01), not publication dates.
EARLIEST_YEAR, LATEST_YEAR = 1800, 2200
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_FIELD_CHARS = 1000
MAX_AUTHORS = 20


class ArticleMeta(BaseModel):
    title: str = Field("", description="The headline.")
    published: str | None = Field(None, description="ISO 8601 date or date-time (with offset when known).")
    url: str | None = Field(None, description="The original article, http(s) only.")
    authors: list[str] = Field(default_factory=list)
    section: str = ""

    @property
    def published_day(self) -> int:
        """YYYYMMDD of the publication day as the source dated it; 0 when unknown."""
        return day_number(self.published)

    def filled_from(self, other: "ArticleMeta") -> "ArticleMeta":
        """This metadata with what it lacks taken from `other`."""
        mine = self.model_dump()
        theirs = other.model_dump()
        return ArticleMeta(**{key: mine[key] or theirs[key] for key in mine})


def day_number(published: str | None) -> int:
    if not published:
        return 0
    return int(published[:10].replace("-", ""))


def parse_published(value: object) -> str | None:
    """`value` (ISO 8601, RFC 822 as feeds write it, or a date) as an ISO string; None when it
    is not a plausible publication date."""
    if isinstance(value, datetime):
        moment: datetime | date = value
    elif isinstance(value, date):
        moment = value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if ISO_DAY.match(text):
            try:
                moment = date.fromisoformat(text)
            except ValueError:
                return None
        else:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                try:
                    moment = parsedate_to_datetime(text)
                except (TypeError, ValueError, IndexError):
                    return None
    else:
        return None
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        return None
    if isinstance(moment, datetime):
        # Seconds are as precise as a news date gets; no time means the day alone.
        return moment.replace(microsecond=0).isoformat()
    return moment.isoformat()


def clean_text(value: object) -> str:
    """One line of plain text, bounded: metadata is shown to readers and stored per unit."""
    if not isinstance(value, str):
        return ""
    return " ".join(value.split())[:MAX_FIELD_CHARS]


def clean_url(value: object) -> str | None:
    """An absolute http(s) URL, or None: a link shown to readers must not run script."""
    text = clean_text(value)
    try:
        url = urlparse(text)
    except ValueError:
        return None
    return text if url.scheme in ("http", "https") and url.hostname else None


def clean_authors(value: object) -> list[str]:
    """Authors given as a list, or as one string separated by commas, semicolons or " and "."""
    if isinstance(value, str):
        items: list[object] = re.split(r"\s*(?:;|,|\band\b)\s*", value)
    elif isinstance(value, list):
        items = [v.get("name") if isinstance(v, dict) else v for v in value]
    else:
        return []
    names = [clean_text(v) for v in items]
    return list(dict.fromkeys(n for n in names if n))[:MAX_AUTHORS]


def meta_from(fields: dict[str, object]) -> ArticleMeta:
    """Metadata from loosely named fields (a JSON record, a front-matter block)."""

    def first(*keys: str) -> object:
        return next((fields[k] for k in keys if fields.get(k) not in (None, "", [])), None)

    section = first("section", "category")
    if isinstance(section, list):
        section = section[0] if section else ""
    return ArticleMeta(
        title=clean_text(first("title", "headline")),
        published=parse_published(first("published", "date", "published_at", "pubDate")),
        url=clean_url(first("url", "link")),
        authors=clean_authors(first("authors", "author", "byline")),
        section=clean_text(section),
    )
