"""What the service keeps in memory about the stored units, built once at start-up.

Everything here is derived from Chroma (never from the corpus folder), so several service
processes sharing one Chroma server see the same index.
"""

import math
from collections import Counter, defaultdict

from ingest.store import UnitStore
from ingest.text import WORD, content_stems, is_content, stem, titled_names, words
from ingest.units import Unit


class CorpusIndex:
    def __init__(self, units: list[Unit]) -> None:
        self.units = {u.id: u for u in units}
        df: Counter[str] = Counter()
        speakers: set[str] = set()
        people: set[str] = set()
        self.speakers_by_source: dict[str, set[str]] = defaultdict(set)
        # Words the corpus writes capitalised: its names ("Washington"; a sentence's first word
        # only when it is no function word, "The").
        proper: set[str] = set()
        for unit in units:
            people.update(words(name)[-1] for name in titled_names(unit.text))
            for part in (unit.title, unit.heading, unit.speaker, unit.text):
                tokens = WORD.findall(part)
                proper.update(w.lower() for w in tokens[1:] if w[:1].isupper())
                if tokens and tokens[0][:1].isupper() and is_content(tokens[0].lower()):
                    proper.add(tokens[0].lower())
            df.update(set(content_stems(f"{unit.heading} {unit.text}")))
            speakers.update(unit.speakers)
            self.speakers_by_source[unit.source].update(unit.speakers)
        self._name_stems = {stem(w) for w in proper}
        total = max(len(units), 1)
        self._idf = {term: math.log(1 + total / count) for term, count in df.items()}
        self._unseen_idf = math.log(1 + total)
        self.speakers = sorted(speakers)
        # Speakers by the words a question may call them with (surname, or two title words),
        # so reading a question looks up a few labels instead of scanning thousands.
        self.speakers_by_word: dict[str, set[str]] = defaultdict(set)
        for label in self.speakers:
            name = words(label)
            if name:
                self.speakers_by_word[name[-1]].add(label)
            for a, b in zip(name, name[1:], strict=False):
                self.speakers_by_word[f"{a} {b}"].add(label)
        # Surnames the corpus gives a title ("Mr Howard", "President Putin"): surely people, where
        # a speaker label may name a body ("Scotland Yard said").
        self.titled = people
        # The sentences around each on the same line, so an answer can quote a statement whole.
        by_line: dict[tuple[str, int], list[Unit]] = defaultdict(list)
        for unit in units:
            by_line[(unit.source, unit.line)].append(unit)
        # Each article's units in reading order, for questions about an article itself.
        self.by_source: dict[str, list[Unit]] = defaultdict(list)
        for unit in sorted(units, key=lambda u: (u.source, u.char_start)):
            self.by_source[unit.source].append(unit)
        self.following: dict[str, Unit] = {}
        self.preceding: dict[str, Unit] = {}
        for line_units in by_line.values():
            line_units.sort(key=lambda u: u.char_start)
            for before, after in zip(line_units, line_units[1:], strict=False):
                self.following[before.id] = after
                self.preceding[after.id] = before

    @classmethod
    def load(cls, store: UnitStore) -> "CorpusIndex":
        return cls(list(store.all_units()))

    def knows_name(self, word: str) -> bool:
        """Whether the corpus uses this word as a name, capitalised ("Mars" the planet is not
        "mars" the verb), in any inflection."""
        word = words(word)[0] if words(word) else ""
        return bool(word) and stem(word) in self._name_stems

    def idf(self, term: str) -> float:
        return self._idf.get(term, self._unseen_idf)

    def __len__(self) -> int:
        return len(self.units)
