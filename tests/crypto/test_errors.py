"""One root for every crypto exception: a caller catches CryptoError, not nine families."""

from __future__ import annotations

import inspect
import re

import pytest

import crypto.aggregate
import crypto.ballot
import crypto.dkg
import crypto.elgamal
import crypto.encoding
import crypto.group
import crypto.merkle
import crypto.proofs
import crypto.signing
import crypto.tally
from crypto.errors import CryptoError

MODULES = [
    crypto.aggregate,
    crypto.ballot,
    crypto.dkg,
    crypto.elgamal,
    crypto.encoding,
    crypto.group,
    crypto.merkle,
    crypto.proofs,
    crypto.signing,
    crypto.tally,
]
EXCEPTIONS = sorted(
    {
        value
        for module in MODULES
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and value.__module__.startswith("crypto.")
    },
    key=lambda cls: cls.__qualname__,
)


def test_the_crypto_package_has_exceptions_to_check() -> None:
    assert len(EXCEPTIONS) >= 20


@pytest.mark.parametrize("cls", EXCEPTIONS, ids=lambda cls: cls.__qualname__)
def test_every_crypto_exception_is_a_crypto_error_with_a_stable_code(cls: type) -> None:
    assert issubclass(cls, CryptoError) and issubclass(cls, ValueError)
    assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), cls.code


def test_a_bad_point_is_caught_as_a_crypto_error() -> None:
    with pytest.raises(CryptoError) as info:
        crypto.group.Point.decode(b"\xff" * 32)
    assert info.value.code == "invalid_encoding"
