"""What a reader infers from an article's layout: its title, headings and who is speaking.

News articles here are one paragraph per line. Short lines without closing punctuation are
headings; a heading made only of capitalised words ("NATO Secretary General Jens Stoltenberg")
names the speaker of the paragraph below it. Inside paragraphs, reported speech ("Grushko said",
"He said ...") is attributed to the person named, or for a pronoun, to the last person
discussed. These are heuristics for any folder of such articles, not rules for one file.
"""

import re
from dataclasses import dataclass

from ingest.corpus import Article, Line

MAX_HEADING_WORDS = 12
MAX_TITLE_WORDS = 30
# Closing punctuation that makes a line a sentence rather than a heading.
SENTENCE_END = tuple(".!?:;,…")
CLOSERS = "\"'”’»)]"
# " date 2022-01-13 " at the start of a line: metadata, not text.
METADATA_PREFIX = re.compile(r"^\s*(?P<key>[a-z]+)\s+(?P<value>\d{4}-\d{2}-\d{2})\s+")
# Dash or bullet list markers that open a paragraph.
BULLET_PREFIX = re.compile(r"^[\s\-–—•*·]+")
NAME_WORD = r"[A-Z][\w’'.\-]*"
SPEECH_VERBS = (
    r"said|says|told|added|stated|warned|maintained|insisted|argued|urged|noted|stressed|"
    r"explained|announced|called on|called for|pointed out|acknowledged|declared|wrote"
)
NAME_PHRASE = rf"(?:{NAME_WORD}\s+){{0,6}}{NAME_WORD}"
SPEAKER_BEFORE_VERB = re.compile(rf"({NAME_PHRASE}(?:\s+and\s+{NAME_PHRASE})?)\s+(?:{SPEECH_VERBS})\b")
# Inverted attribution only after a quote or a comma: “...,” said Jens Stoltenberg.
SPEAKER_AFTER_VERB = re.compile(rf"[,”\"’]\s*(?:said|says)\s+({NAME_PHRASE})")
PRONOUN_SPEECH = re.compile(rf"\b(?:[Hh]e|[Ss]he)\s+(?:{SPEECH_VERBS})\b")
# Words that stand before a name without being part of it.
HONORIFICS = {"Mr", "Mrs", "Ms", "Dr", "Sir"}
TITLES = HONORIFICS | {
    "President",
    "Minister",
    "Secretary",
    "General",
    "Chancellor",
    "Ambassador",
    "Senator",
    "Governor",
    "Prime",
    "Deputy",
    "Foreign",
    "Spokesman",
    "Spokeswoman",
    "Lord",
    "Lady",
}
# "Mr Campbell", "President Vladimir Putin": a person mentioned, who may speak later as "he".
TITLED_NAME = re.compile(
    r"\b(?:Mr|Mrs|Ms|Dr|Sir|President|Minister|Secretary|Chancellor|Ambassador|Senator|Governor|General)\.?"
    r"\s+((?:[A-Z][\w’'-]+\s+){0,2}[A-Z][\w’'-]+)"
)
# "journalist Andrew McFadyen": a lower-case role word, then a given name and a surname.
ROLE_THEN_NAME = re.compile(r"\b[a-z]{3,}\s+([A-Z][a-z]+\s+[A-Z][\w’'-]+)")
POSSESSIVE = re.compile(r"[’']s$")
FIRST_PERSON = re.compile(r"\b(?:I|we|We|us|our|Our|my|My)\b")
OPENING_QUOTE = re.compile(r"^[\W_]*[“\"«]")
# Capitalised words that start sentences or name no one.
NOT_NAMES = {
    "The",
    "A",
    "An",
    "In",
    "On",
    "At",
    "But",
    "And",
    "This",
    "That",
    "It",
    "Its",
    "He",
    "She",
    "They",
    "We",
    "As",
    "For",
    "If",
    "When",
    "While",
    "After",
    "Before",
    "Both",
}


@dataclass
class LineRole:
    """How one line reads: its body (metadata and bullet stripped) and its context."""

    line: Line
    body_start: int  # offset in the file where the line's text (after prefixes) starts
    is_heading: bool
    heading: str  # nearest heading above (or the line itself for a heading)
    speaker: str  # speaker named by the heading governing this paragraph, "" if none
    metadata: tuple[int, int] | None = None  # file span of a leading "date 2022-01-13"


def is_heading_text(text: str) -> bool:
    words = text.split()
    if not words or len(words) > MAX_HEADING_WORDS:
        return False
    return not text.rstrip(CLOSERS + " ").endswith(SENTENCE_END)


def speaker_of_heading(text: str) -> str:
    """A heading made only of capitalised words (2 or more) names a person or body."""
    words = text.split()
    if len(words) < 2:
        return ""
    if all(re.match(r"^[A-Z][\w’'.\-]*$", w) for w in words) and words[0] not in NOT_NAMES:
        return text.strip()
    return ""


def article_title(article: Article) -> str:
    if not article.lines:
        return ""
    first = METADATA_PREFIX.sub("", article.lines[0].text).strip()
    words = first.split()
    if words and len(words) <= MAX_TITLE_WORDS and not first.rstrip(CLOSERS).endswith("."):
        return first
    return ""


def article_date(article: Article) -> str:
    for line in article.lines[:3]:
        match = METADATA_PREFIX.match(line.text)
        if match and match.group("key") == "date":
            return match.group("value")
    return ""


def line_roles(article: Article) -> list[LineRole]:
    roles: list[LineRole] = []
    heading = ""
    speaker = ""
    paragraphs_since_heading = 0
    for index, line in enumerate(article.lines):
        offset = 0
        metadata = None
        match = METADATA_PREFIX.match(line.text)
        if match:
            offset = match.end()
            metadata = (line.start + match.start("key"), line.start + match.end("value"))
        bullet = BULLET_PREFIX.match(line.text[offset:])
        if bullet:
            offset += bullet.end()
        body = line.text[offset:].strip()
        if not body:
            continue
        heading_like = index > 0 and is_heading_text(body)
        if heading_like:
            heading = body
            speaker = speaker_of_heading(body)
            paragraphs_since_heading = 0
        else:
            paragraphs_since_heading += 1
            # A speaker heading governs the paragraph below it; later paragraphs only while
            # they keep speaking in the first person (otherwise they are the reporter's).
            if paragraphs_since_heading > 1 and not FIRST_PERSON.search(body):
                speaker = ""
        roles.append(
            LineRole(
                line=line,
                body_start=line.start + offset,
                is_heading=heading_like,
                heading=heading,
                speaker=speaker if not heading_like else "",
                metadata=metadata,
            )
        )
    return roles


class SpeakerTracker:
    """Attributes sentences to speakers as a reader would, paragraph by paragraph."""

    def __init__(self, known: list[str]) -> None:
        self.known = list(known)
        self.last_person = ""
        self.last_speaker = ""

    def canonical(self, phrase: str) -> str:
        """The fullest known form of a name phrase; "" for a lone unknown word."""
        parts = [self._one_name(p) for p in re.split(r"\s+and\s+", phrase)]
        return " and ".join(p for p in parts if p)

    def _one_name(self, phrase: str) -> str:
        words = [POSSESSIVE.sub("", w).strip(".,;:’'") for w in phrase.split() if w not in NOT_NAMES]
        words = [w for w in words if w]
        if not words:
            return ""
        known = [k for k in self.known if k.split()[-1] == words[-1]]
        if words[0].rstrip(".") in HONORIFICS and len(words) == 2:
            return max(known, key=len) if known else self._remember(" ".join(words))
        if len(words) < 2 and not known:
            return ""  # "the West says": a lone capitalised word is too weak to name a speaker
        fullest = max([*known, " ".join(words) if len(words) > 1 else ""], key=len)
        return fullest if fullest in known else self._remember(fullest)

    def _remember(self, name: str) -> str:
        self.known.append(name)
        return name

    def learn_names(self, text: str) -> None:
        """Full names the article introduces ("media chief Alastair Campbell", "President
        Vladimir Putin"), so that a later "Mr Campbell" or "Putin said" is the same person."""
        for pattern in (TITLED_NAME, ROLE_THEN_NAME):
            for match in pattern.finditer(text):
                name = [POSSESSIVE.sub("", w) for w in match.group(1).split()]
                while name and name[0] in TITLES:  # "Secretary General Jens Stoltenberg"
                    name = name[1:]
                if len(name) >= 2 and not any(k.split()[-1] == name[-1] for k in self.known):
                    self.known.append(" ".join(name))

    def explicit(self, sentence: str) -> str:
        for pattern in (SPEAKER_BEFORE_VERB, SPEAKER_AFTER_VERB):
            for match in pattern.finditer(sentence):
                speaker = self.canonical(match.group(1))
                if speaker:
                    return speaker
        return ""

    def mentioned(self, sentence: str) -> str:
        """The last person the sentence names, a reader's referent for a following "he"."""
        # The first person named is usually the subject, whom a following "he" means.
        for match in TITLED_NAME.finditer(sentence):
            return self.canonical(match.group(0))
        for name in sorted(self.known, key=len, reverse=True):
            if re.search(rf"\b{re.escape(name.split()[-1])}\b", sentence):
                return name
        return ""

    @staticmethod
    def opens_quote(sentence: str, open_before: bool) -> bool:
        """Whether a quotation is still open after this sentence."""
        balance = sentence.count("“") - sentence.count("”")
        if balance:
            return balance > 0
        return open_before != (sentence.count('"') % 2 == 1)

    def attribute(self, sentences: list[str], block_speaker: str) -> list[str]:
        explicit = [self.explicit(s) for s in sentences]
        # A paragraph that opens with a quote belongs to whoever the paragraph later says
        # spoke it (“...,” the ministry said), or else to the last speaker.
        quote_speaker, quote_end = "", -1
        if sentences and OPENING_QUOTE.match(sentences[0]):
            quote_end = next((i for i, e in enumerate(explicit) if e), len(sentences) - 1)
            quote_speaker = explicit[quote_end] or self.last_speaker
        speakers: list[str] = []
        in_quote = False
        for i, sentence in enumerate(sentences):
            speaker = explicit[i]
            if not speaker and PRONOUN_SPEECH.search(sentence):
                speaker = self.last_person
            if not speaker and i <= quote_end:
                speaker = quote_speaker
            if not speaker and in_quote and speakers:
                speaker = speakers[-1]  # the quotation opened by the last speaker goes on
            if not speaker:
                speaker = block_speaker
            speakers.append(speaker)
            in_quote = self.opens_quote(sentence, in_quote)
            self.last_speaker = speaker
            self.last_person = speaker or self.mentioned(sentence) or self.last_person
        return speakers
