"""The text rule for names, titles and notes (``ballot.domain.text``, issue 14)."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ballot.domain import RegisterMemberState, event_from_json
from ballot.domain.text import BIDI_CONTROLS, TEXT_PATTERN, check_text


@pytest.mark.parametrize(
    "name",
    [
        "France",
        "Côte d’Ivoire",
        "São Tomé and Príncipe",
        "Türkiye",
        "中国",
        "ایران\u200cزمین",
        "🇫🇷 France",
    ],
)
def test_real_names_pass(name: str) -> None:
    assert check_text(name) == name


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Fra\x00nce", "control character U+0000"),
        ("France\nGermany", "control character U+000A"),
        ("\u202eecnarF", "bidirectional control character U+202E"),
        ("Fra\u200bnce", "invisible character U+200B"),
        ("Fra\u200cnce", "invisible character U+200C"),  # a joiner between Latin letters
        ("Fran\u00adce", "invisible character U+00AD"),
        ("\ufeffFrance", "invisible character U+FEFF"),
        ("Fr\u2028ance", "control character U+2028"),
        ("Saint\u00a0Lucia", "space character other than U+0020"),
        (" France", "leading or trailing"),
        ("Saint  Lucia", "several spaces"),
        ("Co\u0302te", "NFC"),
    ],
)
def test_deceiving_text_is_refused_naming_why(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=re.escape(reason)):
        check_text(text)


@given(st.text(max_size=40))
def test_whatever_passes_is_nfc_visible_and_single_spaced(text: str) -> None:
    try:
        check_text(text)
    except ValueError:
        return
    assert unicodedata.is_normalized("NFC", text)
    assert not any(ch in BIDI_CONTROLS for ch in text)
    for at, ch in enumerate(text):
        category = unicodedata.category(ch)
        if ch in "\u200c\u200d":
            assert 0 < at < len(text) - 1
            continue
        assert category not in {"Cc", "Cf", "Cs", "Zl", "Zp"}, (ch, category)
    if text and all(ord(ch) < 0x10000 for ch in text):
        assert re.fullmatch(TEXT_PATTERN, text)  # the document's pattern agrees


def test_commands_and_events_hold_to_the_rule() -> None:
    with pytest.raises(ValidationError, match="U\\+202E"):
        RegisterMemberState(member_id="FR", name="\u202eFrance")
    stored = '{"member_id":"FR","name":"Fra\\u200bnce","observer":false}'
    with pytest.raises(ValueError, match="U\\+200B"):
        event_from_json("MemberStateRegistered", stored)  # a log cannot hold it either
