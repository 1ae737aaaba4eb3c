"""The one rule for human-readable text the permanent log keeps: names, titles, notes.

Everything in the log is public and forever, and it is read by people deciding whether a
count was honest. Text must therefore look like what it is. A name or a note is refused when
it holds anything a reader cannot see or that changes how the text around it is shown:

* it must be in Unicode **NFC** (a browser's form sends NFC; the API normalizes what it
  receives, the log refuses anything else, so one visible name has one spelling);
* no control characters (``Cc``: NUL, newline, tab, escape …) and no line or paragraph
  separators (U+2028, U+2029): every field is one line;
* no bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C): "FRANCE"
  must not display as something else;
* no invisible format characters (``Cf``: zero-width space, word joiner, soft hyphen,
  byte-order mark …) and no lone surrogates (``Cs``) — with one exception: the zero-width
  non-joiner and joiner (U+200C, U+200D) that Persian, Hindi and other scripts need *inside*
  a word, between two letters neither of which is Latin (so "Fra\\u200cnce" is refused);
* no space but U+0020 (no no-break or ideographic space that would pass for one), none
  leading or trailing, and never two in a row.

Unassigned and private-use code points are shown as a visible box, so they are not refused.

Lengths are the field's own (see ``ballot.domain.values``). :func:`check_text` raises
``ValueError`` naming the first offending character, which pydantic reports as the field's
validation error (HTTP 422 ``validation_error``).
"""

from __future__ import annotations

import unicodedata
from typing import Final

#: Bidirectional formatting characters (Unicode Bidi_Control).
BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
#: Joiners a word in some scripts needs between two of its letters.
_JOINERS: Final = frozenset("\u200c\u200d")
#: General categories never allowed (controls, format, surrogates, line and paragraph
#: separators; other spaces are refused apart).
_REFUSED_CATEGORIES: Final = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def _joins_letters(text: str, at: int) -> bool:
    """Whether the joiner at ``at`` sits between two non-Latin letters."""
    if at == 0 or at == len(text) - 1:
        return False
    for neighbour in (text[at - 1], text[at + 1]):
        if not unicodedata.category(neighbour).startswith(("L", "M")):
            return False
        if unicodedata.name(neighbour, "").startswith("LATIN"):
            return False
    return True


def check_text(text: str) -> str:
    """``text`` if it follows the rule above, else ``ValueError`` saying what is wrong."""
    if not unicodedata.is_normalized("NFC", text):
        raise ValueError("is not in Unicode NFC form")
    if text != text.strip():
        raise ValueError("has leading or trailing white space")
    if "  " in text:
        raise ValueError("has a run of several spaces")
    for at, ch in enumerate(text):
        if ch.isascii() and ch.isprintable():
            continue  # the common case, decided at once
        if ch in BIDI_CONTROLS:
            raise ValueError(f"contains a bidirectional control character {_code(ch)}")
        category = unicodedata.category(ch)
        if category == "Cc" or category in ("Zl", "Zp"):
            raise ValueError(f"contains a control character {_code(ch)}")
        if ch in _JOINERS and _joins_letters(text, at):
            continue
        if category in _REFUSED_CATEGORIES:
            raise ValueError(f"contains an invisible character {_code(ch)}")
        if category == "Zs" and ch != " ":
            raise ValueError(f"contains a space character other than U+0020 ({_code(ch)})")
    return text


def _refused_in_bmp() -> str:
    """The Basic Multilingual Plane's refused characters as regular-expression ranges."""
    # Surrogates are left out: no regular-expression engine that reads JSON text can see one
    # (the Rust one of the contract tests refuses the range outright), and the API refuses
    # any that a body smuggles in as an escape.
    refused = [
        c
        for c in range(0x10000)
        if not 0xD800 <= c <= 0xDFFF
        and (
            chr(c) in BIDI_CONTROLS
            or unicodedata.category(chr(c)) in _REFUSED_CATEGORIES
            or unicodedata.category(chr(c)) == "Zs"  # U+0020 too: the pattern places it
        )
    ]
    ranges: list[str] = []
    start = previous = refused[0]
    for c in [*refused[1:], -1]:
        if c == previous + 1:
            previous = c
            continue
        ranges.append(f"\\u{start:04x}" + (f"-\\u{previous:04x}" if previous > start else ""))
        start = previous = c
    return "".join(ranges)


_VISIBLE: Final = f"[^{_refused_in_bmp()}]"
#: The rule as a JSON Schema pattern for the API's document (single spaces between visible
#: characters; the joiners' context and NFC, which a pattern cannot state, are said in words).
TEXT_PATTERN: Final = f"^{_VISIBLE}+( {_VISIBLE}+)*$"


def normalized(value: object) -> object:
    """``value`` in NFC if it is text (what the API applies to what a person typed)."""
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value
