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
# A nickname in quotes may stand inside a name: Brian 'Head' Welch.
NAME_WORD = r"['‘]?[A-Z][\w’'.\-]*"
SPEECH_VERBS = (
    r"said|says|told|tells|added|adds|stated|warned|maintained|insisted|argued|urged|noted|stressed|"
    r"explained|announced|called on|called for|pointed out|acknowledged|declared|wrote|claimed|claims|"
    r"believes|suggested|admitted|revealed|confirmed|predicted|denied|conceded|complained|replied|"
    r"responded|commented|described|accused|criticised|criticized|insists|argues|warns|believed|"
    r"asked|questioned|queried|demanded|welcomed|dismissed|praised|hit out"
)
# "has said", "also told", "had earlier warned": words between a speaker and the verb.
AUXILIARY = r"(?:(?:has|had|have|also|earlier|later|previously|then|once)\s+){0,2}"
SPEECH = rf"{AUXILIARY}(?:{SPEECH_VERBS})\b"
NAME_PHRASE = rf"(?:{NAME_WORD}\s+){{0,6}}{NAME_WORD}"
SPEAKER_BEFORE_VERB = re.compile(rf"({NAME_PHRASE}(?:\s+and\s+{NAME_PHRASE})?)\s+{SPEECH}")
# A name, an aside between commas or dashes, then the verb: "Gerry Conlon - who was wrongly
# convicted - said", "her lawyer, Perry Wander, said", "Edward Leigh, chairman of ..., said".
SPEAKER_ASIDE_VERB = re.compile(
    rf"({NAME_PHRASE})(?:,(?:\s+(?!and\b|but\b|or\b)[^,.!?\"“”]{{2,120}},)?|\s[-–—]\s+[^-–—.!?\"“”]{{2,160}}\s[-–—])\s+{SPEECH}"
)
# Inverted attribution only after a quote or a comma: “...,” said Wales coach Mike Ruddock.
# The words up to the next comma or stop are searched for the name ("coach" is not one).
AFTER_VERB = re.compile(
    r"[,”\"’]\s*(?:said|says|added|adds|explained|continued|insisted)\s+"
    r"(?!(?:they|he|she|it|we|I|you|that|this)\b)((?:[\w’'-]+\s+){0,3}?[A-Z][^,.;:!?\"“”]{0,60})"
)
ACCORDING_TO = re.compile(r"\b[Aa]ccording to\s+([^,.;:!?\"“”]{1,80})")
CAPITALISED_RUN = re.compile(NAME_PHRASE)
# “...,” said a spokesman, or “...,” the company said: the quotation is someone's the text does
# not name.
UNNAMED_SPEECH = re.compile(
    r"[,”\"’]\s*(?:(?:the|a|an)\s+(?:[a-z]+\s+){0,3})?(?:said|says|added)\b|\b(?:said|says)\.?[”\"’]?$"
)
PRONOUN_SPEECH = re.compile(rf"\b(?:[Hh]e|[Ss]he)\s+{SPEECH}")
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
# Function words are no role: "the Australian Open", "against Middle East" name no one.
FUNCTION_WORDS = (
    "the|and|for|from|with|into|onto|over|under|after|before|against|between|about|across|during|"
    "that|this|than|when|while|where|which|who|whose|its|his|her|their|our|your|was|were|has|had|"
    "have|are|not|but|then|also|by|beat|beating|won|lost|left|joined|signed|played|visited|via"
)
ROLE_THEN_NAME = re.compile(rf"\b(?!(?:{FUNCTION_WORDS})\b)[a-z]{{3,}}\s+([A-Z][a-z]+\s+[A-Z][\w’'-]+)")
POSSESSIVE = re.compile(r"[’']s$")
FIRST_PERSON = re.compile(r"\b(?:I|we|We|us|our|Our|my|My)\b")
FIRST_QUOTE_MARK = re.compile(r"[“”\"]")
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
    "However",
    "Earlier",
    "Later",
    "Meanwhile",
    "Now",
    "Then",
    "Last",
    "Next",
    *"Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(),
    *"January February March April May June July August September October November December".split(),
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
        words = phrase.split()
        # "Plaid Cymru's Elfyn Llwyd": the owner before a possessive is not part of the name.
        owner = max((i + 1 for i, w in enumerate(words[:-1]) if POSSESSIVE.search(w)), default=0)
        words = [POSSESSIVE.sub("", w).strip(".,;:’'") for w in words[owner:] if w[0] not in "'‘"]
        words = [w for w in words if w and w not in NOT_NAMES]
        # "In Tanzania Mr Brown said": the name starts at the honorific.
        honorific = next((i for i, w in enumerate(words) if w.rstrip(".") in HONORIFICS), 0)
        words = words[honorific:]
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
                while name and (name[0] in TITLES or name[0] in NOT_NAMES):  # "Secretary General Jens Stoltenberg"
                    name = name[1:]
                if len(name) >= 2 and not any(k.split()[-1] == name[-1] for k in self.known):
                    self.known.append(" ".join(name))

    def explicit(self, sentence: str) -> str:
        for pattern in (SPEAKER_BEFORE_VERB, SPEAKER_ASIDE_VERB):
            for match in pattern.finditer(sentence):
                speaker = self.canonical(match.group(1))
                if speaker:
                    return speaker
        for pattern in (AFTER_VERB, ACCORDING_TO):
            for match in pattern.finditer(sentence):
                for name in CAPITALISED_RUN.finditer(match.group(1)):
                    speaker = self.canonical(name.group(0))
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
    def closes_quote(sentence: str) -> bool:
        """Whether the sentence ends a quotation it did not open ('...," said Mr Folkes.'):
        its first quotation mark is a closing one, straight after a word or a stop."""
        first = FIRST_QUOTE_MARK.search(sentence)
        return bool(first) and (
            first.group(0) == "”"
            or (first.group(0) == '"' and first.start() > 0 and not sentence[first.start() - 1].isspace())
        )

    @staticmethod
    def opens_quote(sentence: str, open_before: bool) -> bool:
        """Whether a quotation is still open after this sentence."""
        balance = sentence.count("“") - sentence.count("”")
        if balance:
            return balance > 0
        if sentence.lstrip().startswith('"'):
            # Paragraphs joined on one line: a quotation left open at a paragraph's end (the
            # typesetters' convention when the next goes on quoting) ends where a new one opens.
            open_before = False
        return open_before != (sentence.count('"') % 2 == 1)

    def quote_speaker(self, sentences: list[str], explicit: list[str], start: int) -> str | None:
        """Who speaks a quotation opening at `start`, if the quotation itself says (“...,” he
        added; “...,” said Mr Leigh); "" when it names someone the tracker cannot resolve
        (“...,” said a spokesman); None when it says nothing."""
        open_quote = False
        for i in range(start, len(sentences)):
            if explicit[i]:
                return explicit[i]
            if PRONOUN_SPEECH.search(sentences[i]):
                return self.last_person
            if UNNAMED_SPEECH.search(sentences[i]):
                return ""
            open_quote = self.opens_quote(sentences[i], open_quote)
            if not open_quote:
                break
        return None

    def attribute(self, sentences: list[str], block_speaker: str) -> list[str]:
        explicit = [self.explicit(s) for s in sentences]
        speakers: list[str] = []
        in_quote = False
        for i, sentence in enumerate(sentences):
            speaker = explicit[i]
            if not speaker and PRONOUN_SPEECH.search(sentence):
                speaker = self.last_person
            if not speaker and in_quote and speakers:
                speaker = speakers[-1]  # the quotation opened by the last speaker goes on
            if not speaker and not in_quote and OPENING_QUOTE.match(sentence):
                # A quotation is whoever it says spoke it (“...,” the ministry said); else,
                # right after someone's words, theirs ('Mr Oaten said the plan was right.
                # "But ..."'); at a paragraph's start, the last speaker's, going on.
                said = self.quote_speaker(sentences, explicit, i)
                speaker = said if said is not None else (speakers[-1] if speakers else self.last_speaker)
            if not speaker:
                speaker = block_speaker
            speakers.append(speaker)
            in_quote = self.opens_quote(sentence, in_quote)
            self.last_speaker = speaker
            self.last_person = speaker or self.mentioned(sentence) or self.last_person
        return speakers
