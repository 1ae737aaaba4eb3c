"""The web client's three languages: same keys everywhere, every key the pages use exists, and
every problem code the API can send has a translation (no browser needed)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

import pytest

from ballot.api.problems import API_CODES
from ballot.domain.errors import REFUSAL_CODES
from ballot.domain.events import VoidReason
from ballot.domain.rules import Decision, ElectedBy, EliminatedBy, RoundKind
from ballot.domain.settings import SessionSettings
from ballot.domain.state import CandidateStatus, Phase, RoundStatus
from ballot.web import PAGES, render_page

WEB = Path(__file__).resolve().parents[2] / "ballot" / "web"
LANGUAGES = ("en", "fr", "es")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Keys are "area.name"; these are the areas (a storage key like "ballot-web.lang" is not one).
AREAS = [
    *("audit", "board", "by", "ballot", "candidate_status", "challenge", "chart", "codes"),
    "common",
    *("crypto", "decision", "decision_short", "delegation", "eliminated_by", "enroll"),
    *("figures", "kind", "live", "nav", "option", "phase", "problem", "receipt", "sec"),
    *("secretariat", "session", "settings", "status", "teller", "verify", "void"),
]
KEY_LITERAL = re.compile(r"""['"]((?:""" + "|".join(AREAS) + r""")\.[a-z_.]+)['"]""")


def strings(lang: str) -> dict[str, str]:
    data: dict[str, str] = json.loads((WEB / "static" / "i18n" / f"{lang}.json").read_text("utf-8"))
    return data


def scripts() -> dict[str, str]:
    """Every page script, except the audit engine: its strings like "ballot.proof" are the check
    names `ballot audit` reports (language-free, shown as codes), not keys of the UI."""
    folder = WEB / "static" / "js"
    return {
        p.relative_to(folder).as_posix(): p.read_text("utf-8")
        for p in folder.rglob("*.js")
        if p.relative_to(folder).parts[0] != "audit"
    }


def test_every_language_has_exactly_the_same_keys_and_placeholders() -> None:
    english = strings("en")
    for lang in LANGUAGES[1:]:
        other = strings(lang)
        assert set(other) == set(english), (
            lang,
            sorted(set(english) ^ set(other)),
        )
        for key, text in other.items():
            assert text.strip(), (lang, key)
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (
                lang,
                key,
            )


@pytest.mark.parametrize("code", sorted({*REFUSAL_CODES, *API_CODES}))
def test_every_problem_code_is_translated(code: str) -> None:
    for lang in LANGUAGES:
        assert f"problem.{code}" in strings(lang), (lang, code)


def test_every_crypto_error_code_is_translated() -> None:
    """The browser crypto module's CryptoError codes (shown if encryption fails locally)."""
    folder = WEB / "static" / "js" / "crypto"
    codes = {
        code
        for path in folder.glob("*.js")
        for code in re.findall(r"CryptoError\(\s*'([a-z_]+)'", path.read_text("utf-8"))
    }
    assert "ballot_malformed" in codes
    english = strings("en")
    missing = sorted(code for code in codes if f"crypto.{code}" not in english)
    assert not missing, missing


def test_every_key_the_pages_use_exists() -> None:
    english = strings("en")
    used: set[str] = set()
    for source in scripts().values():
        used.update(KEY_LITERAL.findall(source))
    for name in PAGES.values():
        html = render_page(name).decode("utf-8")
        used.update(re.findall(r'data-i18n="([a-z_.]+)"', html))
        for attrs in re.findall(r'data-i18n-attr="([^"]+)"', html):
            used.update(pair.split(":")[1].strip() for pair in attrs.split(";"))
    assert used, "no keys found: the scan is broken"
    missing = sorted(k for k in used if k not in english and not k.endswith("."))
    assert not missing, missing


def test_keys_built_at_run_time_exist() -> None:
    """Families whose key is built from a server value (t(`phase.${phase}`) …)."""
    english = strings("en")
    families: dict[str, tuple[str, ...]] = {
        "phase": get_args(Phase),
        "status": get_args(RoundStatus),
        "kind": get_args(RoundKind),
        "decision": get_args(Decision),
        "decision_short": get_args(Decision),
        "by": get_args(ElectedBy),
        "eliminated_by": get_args(EliminatedBy),
        "void": get_args(VoidReason),
        "candidate_status": get_args(CandidateStatus),
        "live": ("connecting", "live", "reconnecting"),
        "option": ("blank", "yes", "no"),
    }
    for family, values in families.items():
        assert values, family
        for value in values:
            assert f"{family}.{value}" in english, f"{family}.{value}"
    for name in SessionSettings.model_fields:
        shown = (
            "enrollment_code_lifetime_hours" if name == "enrollment_code_lifetime_seconds" else name
        )
        assert f"settings.{shown}" in english, name
        assert f"settings.{shown}.hint" in english, name
    for name in ("tie_break", "sole_candidate", "quorum_base"):
        annotation = SessionSettings.model_fields[name].annotation
        for value in get_args(annotation):
            assert f"settings.{name}.{value}" in english, (name, value)


def test_languages_are_offered_with_their_own_names() -> None:
    source = scripts()["i18n.js"]
    for lang in LANGUAGES:
        assert re.search(rf"\b{lang}: '", source), lang
