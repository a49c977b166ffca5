"""Which characters of a question count: one rule, read both by the request schema (as a
pattern, so the OpenAPI contract says it) and by `Pipeline.check_question` (which drops the rest),
so that the HTTP API, the OpenAI-compatible API and the CLI agree on what an empty question is.

Control characters (Unicode category Cc) and format characters (Cf: zero-width spaces and
joiners, the byte-order mark, the word joiner, the soft hyphen, bidi marks, tags) show nothing:
they are dropped, and a question made only of them and whitespace is empty. An unpaired surrogate
is not Unicode text at all (JSON can spell one, "\\ud800"; nothing can encode it), so a question
holding one is refused rather than guessed at.
"""

# Categories Cc and Cf of Unicode 14.0 (Python 3.11's unicodedata), as inclusive code point
# ranges. Written out because scanning all code points at import takes a fifth of a second;
# tests/test_api.py checks this table against unicodedata.
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),
    (0x007F, 0x009F),
    (0x00AD, 0x00AD),
    (0x0600, 0x0605),
    (0x061C, 0x061C),
    (0x06DD, 0x06DD),
    (0x070F, 0x070F),
    (0x0890, 0x0891),
    (0x08E2, 0x08E2),
    (0x180E, 0x180E),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0xFEFF, 0xFEFF),
    (0xFFF9, 0xFFFB),
    (0x110BD, 0x110BD),
    (0x110CD, 0x110CD),
    (0x13430, 0x13438),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)

# Tabs, newlines and the like are control characters too, but they separate words: they stay
# whitespace, to be collapsed with the rest.
_DROP = {cp: None for first, last in INVISIBLE_RANGES for cp in range(first, last + 1) if not chr(cp).isspace()}


def _escaped(cp: int) -> str:
    # \uXXXX means the same to ECMA-262 (JSON Schema's dialect), Python's re (schemathesis) and
    # Rust's regex (pydantic). No escape beyond U+FFFF is shared by all three, so those code
    # points stand as themselves (JSON Schema reads patterns as Unicode, the "u" flag).
    return f"\\u{cp:04x}" if cp <= 0xFFFF else chr(cp)


# At least one character that is neither whitespace nor invisible (a search, not a full match).
VISIBLE_PATTERN = (
    "[^\\s" + "".join(_escaped(a) if a == b else f"{_escaped(a)}-{_escaped(b)}" for a, b in INVISIBLE_RANGES) + "]"
)


def visible(text: str) -> str:
    """The text without invisible characters, each run of whitespace made one space, trimmed."""
    return " ".join(text.translate(_DROP).split())


def is_unicode(text: str) -> bool:
    """False when the text holds an unpaired surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
