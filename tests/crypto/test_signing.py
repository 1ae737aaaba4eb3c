"""Tests for crypto/signing.py: Ed25519 keys and signatures, message framing, sealing."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.group import frame
from crypto.signing import (
    InvalidKey,
    InvalidMessage,
    InvalidSignature,
    SealedFormatError,
    SigningKey,
    VerifyKey,
    WeakPassphrase,
    WrongPassphrase,
    checkpoint_message,
    open_with_passphrase,
    seal_with_passphrase,
    signing_message,
)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493

# RFC 8032 §7.1, TEST 1 and TEST 2.
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
]


@pytest.mark.parametrize(("seed", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(seed: str, public: str, message: str, signature: str) -> None:
    key = SigningKey.from_seed(bytes.fromhex(seed))
    assert key.public_key().encode().hex() == public
    assert key.sign(bytes.fromhex(message)).hex() == signature
    VerifyKey.decode(bytes.fromhex(public)).verify(bytes.fromhex(message), bytes.fromhex(signature))


@settings(max_examples=25, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=200))
def test_sign_verify_round_trip(seed: bytes, message: bytes) -> None:
    key = SigningKey.from_seed(seed)
    assert SigningKey.from_seed(key.encode()).encode() == seed
    public = VerifyKey.decode(key.public_key().encode())
    assert public == key.public_key()
    signature = key.sign(message)
    assert len(signature) == 64
    public.verify(message, signature)


@settings(max_examples=25, deadline=None)
@given(message=st.binary(min_size=1, max_size=100), data=st.data())
def test_tampering_is_refused(message: bytes, data: st.DataObject) -> None:
    key = SigningKey.generate()
    signature = key.sign(message)
    public = key.public_key()

    i = data.draw(st.integers(0, len(message) - 1))
    bit = 1 << data.draw(st.integers(0, 7))
    altered = bytearray(message)
    altered[i] ^= bit
    with pytest.raises(InvalidSignature) as excinfo:
        public.verify(bytes(altered), signature)
    assert excinfo.value.code == "signature_invalid"

    j = data.draw(st.integers(0, 63))
    bad_sig = bytearray(signature)
    bad_sig[j] ^= bit
    with pytest.raises(InvalidSignature):
        public.verify(message, bytes(bad_sig))

    with pytest.raises(InvalidSignature):
        SigningKey.generate().public_key().verify(message, signature)


def test_malformed_signatures_are_refused() -> None:
    key = SigningKey.generate()
    signature = key.sign(b"m")
    public = key.public_key()
    for bad in (b"", signature[:63], signature + b"\x00"):
        with pytest.raises(InvalidSignature):
            public.verify(b"m", bad)
    # S + L encodes the same residue; RFC 8032 §5.1.7 requires S < L (no malleability).
    s = int.from_bytes(signature[32:], "little")
    malleated = signature[:32] + (s + L).to_bytes(32, "little")
    with pytest.raises(InvalidSignature, match="below the group order"):
        public.verify(b"m", malleated)


def _encode_point(x: int, y: int) -> bytes:
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def test_weak_and_malformed_public_keys_are_refused() -> None:
    good = SigningKey.from_seed(bytes(32)).public_key().encode()
    small_order = [
        _encode_point(0, 1),  # identity
        _encode_point(0, P - 1),  # order 2
        bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
        bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    ]
    non_canonical_y = (P + 1).to_bytes(32, "little")  # encodes y = 1 again, unreduced
    negative_zero = _encode_point(1, 1)  # x = 0 with the sign bit set
    # good + (0, -1): negate both coordinates -> a mixed-order point.
    y = int.from_bytes(good, "little") & ((1 << 255) - 1)
    sign = good[31] >> 7
    mixed = ((P - y) | ((sign ^ 1) << 255)).to_bytes(32, "little")
    not_on_curve = next(
        candidate
        for candidate in (i.to_bytes(32, "little") for i in range(2, 100))
        if not _decodes(candidate)
    )
    for bad in [*small_order, non_canonical_y, negative_zero, mixed, not_on_curve]:
        with pytest.raises(InvalidKey) as excinfo:
            VerifyKey.decode(bad)
        assert excinfo.value.code == "invalid_key"
    for bad_length in (b"", good[:31], good + b"\x00"):
        with pytest.raises(InvalidKey):
            VerifyKey.decode(bad_length)
    assert VerifyKey.decode(good).encode() == good


def _decodes(data: bytes) -> bool:
    try:
        VerifyKey.decode(data)
    except InvalidKey:
        return False
    return True


def test_seed_length_and_repr() -> None:
    with pytest.raises(InvalidKey):
        SigningKey.from_seed(bytes(31))
    key = SigningKey.from_seed(bytes(range(32)))
    assert "redacted" in repr(key)
    assert bytes(range(32)).hex() not in repr(key)
    assert key.public_key().encode().hex() in repr(key.public_key())


def test_signing_and_checkpoint_messages() -> None:
    head, root = bytes([1]) * 32, bytes([2]) * 32
    message = checkpoint_message(7, head, root)
    assert message == frame(b"ballot/v1/checkpoint", struct.pack(">Q", 7), head, root)
    assert message == signing_message("checkpoint", (7).to_bytes(8, "big"), head, root)
    assert message[:24] == b"\x00\x00\x00\x14ballot/v1/checkpoint"
    for args in [(-1, head, root), (2**64, head, root), (0, head[:31], root), (0, head, b"")]:
        with pytest.raises(InvalidMessage):
            checkpoint_message(*args)
    with pytest.raises(InvalidMessage):
        checkpoint_message(True, head, root)


# -- sealing (scrypt at the minimum accepted cost to keep the tests fast) ----------------


def test_seal_round_trip_and_wrong_passphrase() -> None:
    secret = bytes(range(48))
    blob = seal_with_passphrase(secret, "correct horse", log2_n=14)
    assert blob[:5] == b"BSEC\x01"
    assert len(blob) == 36 + len(secret) + 16
    assert open_with_passphrase(blob, "correct horse") == secret
    with pytest.raises(WrongPassphrase) as excinfo:
        open_with_passphrase(blob, "correct horsf")
    assert excinfo.value.code == "wrong_passphrase"
    # Two seals of the same secret differ (fresh salt and nonce).
    assert seal_with_passphrase(secret, "correct horse", log2_n=14) != blob


def test_seal_normalises_unicode() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    blob = seal_with_passphrase(b"s", composed, log2_n=14)
    assert open_with_passphrase(blob, decomposed) == b"s"


def test_sealed_tampering_and_format_errors() -> None:
    blob = seal_with_passphrase(b"secret share", "pw", log2_n=14)
    # Any altered byte of the salt, nonce or ciphertext fails authentication.
    for index in (8, 8 + 15, 24, 36, len(blob) - 1):
        altered = bytearray(blob)
        altered[index] ^= 1
        with pytest.raises(WrongPassphrase):
            open_with_passphrase(bytes(altered), "pw")
    bad_headers = {
        0: 0x00,  # magic
        4: 0x02,  # version
        5: 13,  # log2 N below the floor
        6: 9,  # r
        7: 2,  # p
    }
    for index, value in bad_headers.items():
        altered = bytearray(blob)
        altered[index] = value
        with pytest.raises(SealedFormatError) as excinfo:
            open_with_passphrase(bytes(altered), "pw")
        assert excinfo.value.code == "sealed_format_invalid"
    altered = bytearray(blob)
    altered[5] = 30  # a crafted file must not make us allocate 2^30 * 1 KiB
    with pytest.raises(SealedFormatError):
        open_with_passphrase(bytes(altered), "pw")
    with pytest.raises(SealedFormatError):
        open_with_passphrase(blob[:40], "pw")
    with pytest.raises(WeakPassphrase):
        seal_with_passphrase(b"x", "", log2_n=14)
