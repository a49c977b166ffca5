"""What a service knows about the stored units besides their vectors, built once by ingest.

The unit table, idf of content stems, the words the corpus writes as names, the speakers and
the words that call them, and each sentence's neighbours on its line live in one SQLite file per
index generation (see ingest/index_dir.py). Services open it read-only and immutable: every
lookup reads a few pages through the OS page cache, which all processes on a host share, so a
service holds no copy of the corpus however large it grows. `in_memory` builds the same tables
in a private database, for rule tests over hand-written units.
"""

import math
import queue
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ingest.article_meta import ArticleMeta
from ingest.duplicates import canonical_copies
from ingest.store import StoredArticle
from ingest.text import WORD, content_stems, is_content, stem, titled_names, words
from ingest.units import Unit

FILE = "corpus.sqlite3"
SCHEMA = [
    # rowid - 1 is the unit's document position in the BM25 index (ingest/lexical.py).
    "CREATE TABLE units (id TEXT UNIQUE NOT NULL, source TEXT NOT NULL, line INTEGER NOT NULL,"
    " char_start INTEGER NOT NULL, published_day INTEGER NOT NULL, data TEXT NOT NULL)",
    # One row per article: its metadata, and the normalised text of one that is not a .txt file.
    "CREATE TABLE articles (source TEXT PRIMARY KEY, file TEXT NOT NULL, published_day INTEGER NOT NULL,"
    " meta TEXT NOT NULL, text TEXT) WITHOUT ROWID",
    "CREATE TABLE terms (term TEXT PRIMARY KEY, idf REAL NOT NULL) WITHOUT ROWID",
    "CREATE TABLE names (stem TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE titled (word TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE speaker_words (word TEXT, label TEXT, PRIMARY KEY (word, label)) WITHOUT ROWID",
    "CREATE TABLE source_speakers (source TEXT, label TEXT, PRIMARY KEY (source, label)) WITHOUT ROWID",
    "CREATE TABLE facts (key TEXT PRIMARY KEY, value REAL NOT NULL) WITHOUT ROWID",
    # Articles that are near-duplicates of others (ingest/duplicates.py), each to its group's
    # canonical article (which maps to itself).
    "CREATE TABLE copies (source TEXT PRIMARY KEY, canonical TEXT NOT NULL) WITHOUT ROWID",
]
# Created after the rows are in: one sort instead of a b-tree kept in order row by row.
INDEXES = [
    "CREATE INDEX units_in_order ON units(source, line, char_start)",
    "CREATE INDEX copies_by_canonical ON copies(canonical)",
    "CREATE INDEX units_by_day ON units(published_day)",
]


def write(units: Iterable[Unit], db: sqlite3.Connection, articles: Iterable[StoredArticle] = ()) -> None:
    """Fill an empty database with the tables of `units`, kept in the order given, and of the
    articles they come from."""
    for statement in SCHEMA:
        db.execute(statement)
    db.executemany(
        "INSERT OR REPLACE INTO articles VALUES (?, ?, ?, ?, ?)",
        ((a.source, a.file, a.meta.published_day, a.meta.model_dump_json(), a.text) for a in articles),
    )
    df: Counter[str] = Counter()
    proper: set[str] = set()
    people: set[str] = set()
    heard: dict[str, set[str]] = defaultdict(set)
    # Each article's sentences and date, to find near-duplicate articles.
    texts: dict[str, list[str]] = defaultdict(list)
    days: dict[str, int] = {}
    total = 0
    rows: list[tuple[int, str, str, int, int, int, str]] = []
    insert = "INSERT INTO units (rowid, id, source, line, char_start, published_day, data) VALUES (?, ?, ?, ?, ?, ?, ?)"
    for unit in units:
        total += 1
        row = (total, unit.id, unit.source, unit.line, unit.char_start, unit.published_day, unit.model_dump_json())
        rows.append(row)
        if len(rows) >= 5000:
            db.executemany(insert, rows)
            rows.clear()
        people.update(words(name)[-1] for name in titled_names(unit.text))
        # Words the corpus writes capitalised: its names ("Washington"; a sentence's first word
        # only when it is no function word, "The").
        for part in (unit.title, unit.heading, unit.speaker, unit.text):
            tokens = WORD.findall(part)
            proper.update(w.lower() for w in tokens[1:] if w[:1].isupper())
            if tokens and tokens[0][:1].isupper() and is_content(tokens[0].lower()):
                proper.add(tokens[0].lower())
        df.update(set(content_stems(f"{unit.heading} {unit.text}")))
        heard[unit.source].update(unit.speakers)
        if unit.kind == "text":  # headlines differ between outlets running one story
            texts[unit.source].append(unit.text)
            days[unit.source] = unit.published_day
    db.executemany(insert, rows)
    found = canonical_copies((source, days[source], " ".join(parts)) for source, parts in texts.items())
    db.executemany("INSERT INTO copies VALUES (?, ?)", found.items())
    total = max(total, 1)
    db.executemany("INSERT INTO terms VALUES (?, ?)", ((term, math.log(1 + total / n)) for term, n in df.items()))
    db.execute("INSERT INTO facts VALUES ('unseen_idf', ?)", (math.log(1 + total),))
    db.executemany("INSERT OR IGNORE INTO names VALUES (?)", ((stem(w),) for w in proper))
    # Surnames the corpus gives a title ("Mr Howard", "President Putin"): surely people, where
    # a speaker label may name a body ("Scotland Yard said").
    db.executemany("INSERT OR IGNORE INTO titled VALUES (?)", ((w,) for w in people))
    db.executemany(
        "INSERT OR IGNORE INTO source_speakers VALUES (?, ?)",
        ((source, label) for source, labels in heard.items() for label in labels),
    )
    # Speakers by the words a question may call them with (surname, or two title words), so
    # reading a question looks up a few labels instead of scanning thousands.
    db.executemany("INSERT OR IGNORE INTO speaker_words VALUES (?, ?)", _speaker_words(heard))
    for statement in INDEXES:
        db.execute(statement)


def _speaker_words(heard: dict[str, set[str]]) -> Iterable[tuple[str, str]]:
    for label in set().union(*heard.values()) if heard else set():
        name = words(label)
        if name:
            yield name[-1], label
        for a, b in zip(name, name[1:], strict=False):
            yield f"{a} {b}", label


# Connections a service keeps open to one generation: a request thread takes one per lookup, so
# concurrent requests do not queue behind one (SQLite reads run without the GIL). All are opened
# at once, so a generation removed by a later ingest stays readable for as long as it is in use.
CONNECTIONS = 4


class CorpusIndex:
    """Read access to one generation's tables, thread-safe."""

    def __init__(self, connections: Sequence[sqlite3.Connection], folder: Path | None = None) -> None:
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for db in connections:
            self._idle.put(db)
        self.folder = folder  # the generation's folder, None for an in-memory index
        self._size = self._one("SELECT count(*) FROM units") or 0
        self._unseen_idf = self._one("SELECT value FROM facts WHERE key = 'unseen_idf'") or 0.0
        # Per-index caches of the few lookups a question repeats (its words' idf and names).
        self.idf = lru_cache(maxsize=65536)(self._idf)
        self.knows_name = lru_cache(maxsize=65536)(self._knows_name)
        self.is_titled = lru_cache(maxsize=65536)(self._is_titled)

    @classmethod
    def open(cls, folder: Path) -> "CorpusIndex":
        # immutable: a generation's file never changes once published, so SQLite takes no locks.
        uri = f"file:{folder / FILE}?mode=ro&immutable=1"
        return cls([sqlite3.connect(uri, uri=True, check_same_thread=False) for _ in range(CONNECTIONS)], folder)

    @classmethod
    def in_memory(cls, units: Iterable[Unit], articles: Iterable[StoredArticle] = ()) -> "CorpusIndex":
        db = sqlite3.connect(":memory:", check_same_thread=False)
        write(units, db, articles)
        return cls([db])

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        db = self._idle.get()
        try:
            return db.execute(sql, params).fetchall()
        finally:
            self._idle.put(db)

    def _one(self, sql: str, params: Sequence[object] = ()) -> object:
        rows = self._rows(sql, params)
        return rows[0][0] if rows else None

    def __len__(self) -> int:
        return int(self._size)  # type: ignore[call-overload]

    # --- units -------------------------------------------------------------------------
    def units(self, ids: Sequence[str]) -> dict[str, Unit]:
        """The units with these ids that this generation holds."""
        found: dict[str, Unit] = {}
        for begin in range(0, len(ids), 500):  # SQLite's bound-parameter limit is far above
            batch = list(ids[begin : begin + 500])
            marks = ",".join("?" * len(batch))
            for (data,) in self._rows(f"SELECT data FROM units WHERE id IN ({marks})", batch):
                unit = Unit.model_validate_json(data)
                found[unit.id] = unit
        return found

    def ids_at(self, positions: Sequence[int]) -> dict[str, int]:
        """The ids of the units at these positions (of the BM25 index), each to its position, in
        the order given. Ids only: most hits do not make the fused top k, and reading a unit whole is most
        of a lookup's cost."""
        marks = ",".join("?" * len(positions))
        rows = self._rows(f"SELECT rowid - 1, id FROM units WHERE rowid IN ({marks})", [p + 1 for p in positions])
        found = dict(rows)
        return {found[p]: p for p in positions if p in found}

    def article(self, source: str) -> list[Unit]:
        """An article's units in reading order."""
        rows = self._rows("SELECT data FROM units WHERE source = ? ORDER BY line, char_start", (source,))
        return [Unit.model_validate_json(data) for (data,) in rows]

    def every_unit(self) -> Iterable[Unit]:
        """All units in index order (what the next generation starts from)."""
        for (data,) in self._rows("SELECT data FROM units ORDER BY rowid"):
            yield Unit.model_validate_json(data)

    def every_article(self) -> Iterable[StoredArticle]:
        for source, file, meta, text in self._rows("SELECT source, file, meta, text FROM articles"):
            yield StoredArticle(source, file, ArticleMeta.model_validate_json(meta), text)

    # --- articles ---------------------------------------------------------------------
    def article_text(self, source: str) -> str | None:
        """The normalised text of an article that is not a .txt file (None for one that is,
        or that this generation does not hold)."""
        value = self._one("SELECT text FROM articles WHERE source = ?", (source,))
        return str(value) if value is not None else None

    def article_meta(self, source: str) -> ArticleMeta | None:
        value = self._one("SELECT meta FROM articles WHERE source = ?", (source,))
        return ArticleMeta.model_validate_json(str(value)) if value is not None else None

    def copies_of(self, source: str) -> list[str]:
        """The other articles that are near-duplicates of this one, by name."""
        rows = self._rows(
            "SELECT source FROM copies WHERE canonical = (SELECT canonical FROM copies WHERE source = ?)"
            " AND source != ? ORDER BY source",
            (source, source),
        )
        return [s for (s,) in rows]

    def copies_among(self, sources: Iterable[str]) -> set[str]:
        """Which of these articles are copies of another (canonical) one."""
        wanted = list(set(sources))
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        sql = f"SELECT source FROM copies WHERE source IN ({marks}) AND canonical != source"
        return {s for (s,) in self._rows(sql, wanted)}

    # A generation never changes: what every question asks of its articles is read once.
    @cached_property
    def dated_share(self) -> float:
        """The share of articles with a publication date."""
        rows = self._rows("SELECT count(*), sum(published_day > 0) FROM articles")
        total, dated = rows[0] if rows else (0, 0)
        return (dated or 0) / total if total else 0.0

    @cached_property
    def dated_span(self) -> tuple[int, int] | None:
        """The first and last publication days (YYYYMMDD) of the dated articles; None if none is."""
        rows = self._rows("SELECT min(published_day), max(published_day) FROM articles WHERE published_day > 0")
        return (int(rows[0][0]), int(rows[0][1])) if rows and rows[0][0] else None

    def positions_within(
        self, since_day: int, until_day: int, sources: Sequence[str] = (), undated: bool = False
    ) -> np.ndarray:
        """Positions (in the BM25 index) of the units published within the days given (0 =
        open; `undated` admits units of no date too) and, when `sources` are named, from
        those articles alone; sorted."""
        where, params = _within(since_day, until_day, sources, undated)
        rows = self._rows(f"SELECT rowid - 1 FROM units WHERE {where} ORDER BY rowid", params)
        return np.array([p for (p,) in rows], dtype=np.int64)

    def count_within(self, since_day: int, until_day: int, sources: Sequence[str] = (), undated: bool = False) -> int:
        """How many units `positions_within` would give."""
        if undated and not sources and (since_day or until_day):
            # "In the period, or undated" made SQLite read every unit (3 ms at BBC scale, growing
            # with the archive): the period is counted through the day index, the undated once.
            return self._count(*_within(since_day, until_day, (), False)) + self._undated
        return self._count(*_within(since_day, until_day, sources, undated))

    @cached_property
    def _undated(self) -> int:
        return self._count("published_day = 0", [])

    def _count(self, where: str, params: list[object]) -> int:
        return int(self._one(f"SELECT count(*) FROM units WHERE {where}", params) or 0)  # type: ignore[call-overload]

    def preceding(self, unit: Unit) -> Unit | None:
        """The sentence before this one on its line, so an answer can quote a statement whole."""
        return self._neighbour(
            "SELECT data FROM units WHERE source = ? AND line = ? AND char_start < ? ORDER BY char_start DESC LIMIT 1",
            unit,
        )

    def following(self, unit: Unit) -> Unit | None:
        """The sentence after this one on its line."""
        return self._neighbour(
            "SELECT data FROM units WHERE source = ? AND line = ? AND char_start > ? ORDER BY char_start LIMIT 1",
            unit,
        )

    def _neighbour(self, sql: str, unit: Unit) -> Unit | None:
        rows = self._rows(sql, (unit.source, unit.line, unit.char_start))
        return Unit.model_validate_json(rows[0][0]) if rows else None

    # --- words and names -----------------------------------------------------------------
    def _idf(self, term: str) -> float:
        value = self._one("SELECT idf FROM terms WHERE term = ?", (term,))
        return float(value) if value is not None else float(self._unseen_idf)  # type: ignore[arg-type]

    def _knows_name(self, word: str) -> bool:
        """Whether the corpus uses this word as a name, capitalised ("Mars" the planet is not
        "mars" the verb), in any inflection."""
        found = words(word)
        return bool(found) and self._one("SELECT 1 FROM names WHERE stem = ?", (stem(found[0]),)) is not None

    def _is_titled(self, word: str) -> bool:
        """Whether the corpus gives this (lower-case) surname a person's title somewhere."""
        return self._one("SELECT 1 FROM titled WHERE word = ?", (word,)) is not None

    def speakers_called(self, keys: Sequence[str]) -> set[str]:
        """Speakers a question may mean by these words (a surname, or two words of a title)."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        return {label for (label,) in self._rows(f"SELECT label FROM speaker_words WHERE word IN ({marks})", keys)}

    def speakers_in(self, sources: Iterable[str]) -> set[str]:
        """Whose words these articles give."""
        wanted = list(sources)
        if not wanted:
            return set()
        marks = ",".join("?" * len(wanted))
        return {
            label for (label,) in self._rows(f"SELECT label FROM source_speakers WHERE source IN ({marks})", wanted)
        }


def _within(since_day: int, until_day: int, sources: Sequence[str], undated: bool) -> tuple[str, list[object]]:
    """The SQL condition on units for a period of publication days and named articles."""
    conditions, params = [], []
    if since_day or until_day:
        period = "published_day BETWEEN ? AND ?"
        conditions.append(f"({period} OR published_day = 0)" if undated else period)
        params += [max(since_day, 1), until_day or 99999999]
    if sources:
        conditions.append(f"source IN ({','.join('?' * len(sources))})")
        params += list(sources)
    return " AND ".join(conditions) or "1", params
