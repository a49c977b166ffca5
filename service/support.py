"""Does a sentence say only what its cited passages say? The judge of generated answers (and of
every answer, in the eval harness), offline and deterministic:

* a sentence that quotes a cited passage verbatim, adding only attribution words, the
  speaker's name and the date its article was published, is supported;
* otherwise it is supported when at least SUPPORT_COVERAGE of its content words (stemmed) are
  in the cited quotes and speakers, every number and capitalised name in it is there too, and
  the embedding cosine (all-MiniLM-L6-v2) between sentence and quotes is at least
  SUPPORT_SIMILARITY.
"""

import re
from datetime import date

import numpy as np

from ingest.minilm import Embedder
from ingest.text import content_stems, covered, words
from service.schemas import Citation
from service.scope import spoken
from service.verify import MARKER, masked, unmasked
from service.wording import framing_words

SUPPORT_COVERAGE = 0.8
SUPPORT_SIMILARITY = 0.6
# Words an answer may add around a quotation without claiming anything new: those of the
# extractive answer's frames ("According to ...", "The article reports: ..."), in any inflection
# ("says", "report").
ATTRIBUTION = set(content_stems(" ".join(framing_words())))
NUMBER = re.compile(r"\d[\d,.]*")
NAME = re.compile(r"(?<=\s)[A-Z][\w’'-]+")


def said_on(citation: Citation) -> str:
    return spoken(date.fromisoformat(citation.published[:10])) if citation.published else ""


class SupportJudge:
    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def supports(self, claim: str, cited: list[Citation]) -> tuple[bool, str]:
        if not cited:
            return False, "no citation"
        hidden, table = masked(claim, [c.quote for c in cited])
        claim = " ".join(unmasked(MARKER.sub("", hidden), table).split())
        # A quote's date is its article's ("On 12 January 2022, ..."): evidence as its speaker is.
        evidence = " ".join(f"{c.speaker} {said_on(c)} {c.quote}" for c in cited)
        remainder = claim
        for c in cited:
            quote = " ".join(c.quote.split())
            if quote and quote in remainder:
                remainder = remainder.replace(quote, " ", 1)
        if remainder != claim:
            # It quotes a passage verbatim; what is left around it must be attribution only.
            extra = {
                w
                for w in set(words(remainder)) - set(words(evidence))
                if content_stems(w) and not set(content_stems(w)) <= ATTRIBUTION
            }
            if not extra:
                return True, "quotes the cited passage verbatim"
            return False, f"adds words the passage does not have: {', '.join(sorted(extra))}"
        stems = content_stems(claim)
        present = set(content_stems(evidence))
        coverage = sum(covered(s, present) for s in stems) / max(1, len(stems))
        missing_numbers = set(NUMBER.findall(claim)) - set(NUMBER.findall(evidence))
        missing_names = {n for n in NAME.findall(f" {claim}") if n.lower() not in set(words(evidence))}
        vectors = self.embedder.embed([claim, evidence])
        similarity = float(np.dot(vectors[0], vectors[1]))
        ok = (
            coverage >= SUPPORT_COVERAGE
            and not missing_numbers
            and not missing_names
            and similarity >= SUPPORT_SIMILARITY
        )
        detail = f"coverage {coverage:.2f}, similarity {similarity:.2f}"
        if missing_numbers or missing_names:
            detail += f", not in the passage: {', '.join(sorted(missing_numbers | missing_names))}"
        return ok, detail
