"""Who speaks each sentence of a paragraph, as a reader would tell: named speakers ("Grushko
said", '“...,” said Mr Leigh', "according to ..."), a pronoun's last person ("He said ..."), and
quotations that go on past the sentence that opened them."""

import re

from ingest.text.names import (
    CAPITALISED_RUN,
    HONORIFICS,
    NOT_NAMES,
    POSSESSIVE,
    ROLE_THEN_NAME,
    TITLED_NAME,
    TITLES,
)
from ingest.text.quotes import opens_with_quote, quote_open_after
from ingest.text.speech import (
    ACCORDING_TO,
    AFTER_VERB,
    PRONOUN_SPEECH,
    SPEAKER_ASIDE_VERB,
    SPEAKER_BEFORE_VERB,
    UNNAMED_SPEECH,
)

# A sentence's speakers: usually one name, two for "Mr Blair and Mr Brown said", none for the reporter.
Speakers = list[str]


class SpeakerTracker:
    """Attributes sentences to speakers as a reader would, paragraph by paragraph."""

    def __init__(self, known: list[str]) -> None:
        self.known = list(known)
        self.last_person: Speakers = []
        self.last_speaker: Speakers = []

    def canonical(self, phrase: str) -> Speakers:
        """The fullest known form of each name in a phrase; none for a lone unknown word."""
        parts = [self._one_name(p) for p in re.split(r"\s+and\s+", phrase)]
        return [p for p in parts if p]

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

    def explicit(self, sentence: str) -> Speakers:
        for pattern in (SPEAKER_BEFORE_VERB, SPEAKER_ASIDE_VERB):
            for match in pattern.finditer(sentence):
                speakers = self.canonical(match.group(1))
                if speakers:
                    return speakers
        for pattern in (AFTER_VERB, ACCORDING_TO):
            for match in pattern.finditer(sentence):
                for name in CAPITALISED_RUN.finditer(match.group(1)):
                    speakers = self.canonical(name.group(0))
                    if speakers:
                        return speakers
        return []

    def mentioned(self, sentence: str) -> Speakers:
        """The person the sentence names, a reader's referent for a following "he"."""
        # The first person named is usually the subject, whom a following "he" means.
        for match in TITLED_NAME.finditer(sentence):
            return self.canonical(match.group(0))
        for name in sorted(self.known, key=len, reverse=True):
            if re.search(rf"\b{re.escape(name.split()[-1])}\b", sentence):
                return [name]
        return []

    def quote_speaker(self, sentences: list[str], explicit: list[Speakers], start: int) -> Speakers | None:
        """Who speaks a quotation opening at `start`, if the quotation itself says (“...,” he
        added; “...,” said Mr Leigh); nobody when it names someone the tracker cannot resolve
        (“...,” said a spokesman); None when it says nothing."""
        open_quote = False
        for i in range(start, len(sentences)):
            if explicit[i]:
                return explicit[i]
            if PRONOUN_SPEECH.search(sentences[i]):
                return self.last_person
            if UNNAMED_SPEECH.search(sentences[i]):
                return []
            open_quote = quote_open_after(sentences[i], open_quote)
            if not open_quote:
                break
        return None

    def attribute(self, sentences: list[str], block_speaker: str) -> list[Speakers]:
        explicit = [self.explicit(s) for s in sentences]
        said_by: list[Speakers] = []
        in_quote = False
        for i, sentence in enumerate(sentences):
            speakers = explicit[i]
            if not speakers and PRONOUN_SPEECH.search(sentence):
                speakers = self.last_person
            if not speakers and in_quote and said_by:
                speakers = said_by[-1]  # the quotation opened by the last speaker goes on
            if not speakers and not in_quote and opens_with_quote(sentence):
                # A quotation is whoever it says spoke it (“...,” the ministry said); else,
                # right after someone's words, theirs ('Mr Oaten said the plan was right.
                # "But ..."'); at a paragraph's start, the last speaker's, going on.
                said = self.quote_speaker(sentences, explicit, i)
                speakers = said if said is not None else (said_by[-1] if said_by else self.last_speaker)
            if not speakers and block_speaker:
                speakers = [block_speaker]
            said_by.append(speakers)
            in_quote = quote_open_after(sentence, in_quote)
            self.last_speaker = speakers
            self.last_person = speakers or self.mentioned(sentence) or self.last_person
        return said_by
