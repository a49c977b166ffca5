"""From a corpus file to its articles, whatever the format, each with its text and metadata.

    .txt          one article; the file itself is its text (line numbers as in the file), its
                  metadata from a front-matter block (ingest/front_matter.py), the headline
                  line and a leading "date 2022-01-13" line
    .html, .htm   one article: main text and metadata from the page (ingest/read_html.py)
    .json         one article object, or a list of them (ingest/read_json.py)
    .jsonl        one article object per line

A file that is one article gives its own name as the article's `source`; an article of a
multi-record file is named `<file>/<record id or number>`. Articles that are not .txt files
are cited in their normalised copy (ingest/normalised.py), which ingest keeps.
"""

from dataclasses import dataclass

from trafilatura.utils import decode_file

from ingest.article_meta import ArticleMeta, parse_published
from ingest.corpus import ARTICLE_SUFFIXES, Article, UnreadableSource, decode, line_table
from ingest.front_matter import front_matter
from ingest.layout import article_date, article_title
from ingest.read_html import extract_html
from ingest.read_json import read_records
from ingest.units import Unit, split_article


@dataclass(frozen=True)
class Document:
    file: str  # the corpus file it came from, as the manifest names it
    article: Article  # its text (the file's own for .txt, else the normalised copy) and lines
    meta: ArticleMeta
    first_line: int = 1  # lines above it are a front-matter block, not text

    @property
    def source(self) -> str:
        return self.article.source

    @property
    def normalised(self) -> bool:
        """Its text is a copy ingest keeps, not the corpus file itself."""
        return not self.file.endswith(".txt")

    def units(self) -> list[Unit]:
        return split_article(self.article, self.meta, self.first_line, self.file)


def read_documents(data: bytes, file: str) -> tuple[list[Document], list[str]]:
    """The articles of corpus file `file` and why any of its records were skipped; raises
    UnreadableSource when the file as a whole is not readable."""
    suffix = file.lower().rsplit(".", 1)[-1]
    if f".{suffix}" not in ARTICLE_SUFFIXES:
        raise UnreadableSource(f"{file}: not an article format ({', '.join(ARTICLE_SUFFIXES)})")
    text = page_text(data, file) if suffix in ("html", "htm") else decode(data, file)
    if suffix == "txt":
        return [txt_document(file, text)], []
    if suffix in ("html", "htm"):
        normalised, meta = extract_html(text, file)
        return [_document(file, file, normalised, meta)], []
    records, problems = read_records(text, file, lines=suffix == "jsonl")
    documents = [_document(file, f"{file}/{r.key}" if r.key else file, r.text, r.meta) for r in records]
    return documents, problems


def page_text(data: bytes, file: str) -> str:
    """A web page's text: UTF-8, else in the charset the page declares (or a guess), as saved
    pages come in windows-1252 and others; the normalised copy is UTF-8 either way."""
    try:
        return decode(data, file)
    except UnreadableSource:
        if not data.strip() or b"\x00" in data:
            raise
        return str(decode_file(data))


def txt_document(source: str, text: str) -> Document:
    article = Article(source=source, text=text, lines=line_table(text))
    meta, first_line = front_matter(article)
    found = ArticleMeta(
        title=article_title(article, first_line),
        published=parse_published(article_date(article, first_line)),
    )
    return Document(file=source, article=article, meta=meta.filled_from(found), first_line=first_line)


def _document(file: str, source: str, text: str, meta: ArticleMeta) -> Document:
    if "\x00" in text:
        raise UnreadableSource(f"{source}: binary content")
    return Document(file=file, article=Article(source=source, text=text, lines=line_table(text)), meta=meta)
