"""``tests/vectors/receipts.json`` (what the browser's receipt verifier is tested against) holds
for the Python side too: canonical JSON, the event chain, Merkle proofs, the checkpoint and the
receipt reply. (``tests/crypto/test_vectors.py`` checks the file is what the script writes.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ballot.domain.values import b64decode
from ballot.ledger import (
    Checkpoint,
    CheckpointError,
    verify_counted_reply,
    verify_receipt_reply,
)
from crypto import ballot as cb
from crypto import merkle
from crypto.group import Point
from crypto.signing import SigningKey
from events import GENESIS_HASH, InvalidPayload, canonical_json
from events.exchange import record_from_line

VECTORS = json.loads(
    (Path(__file__).parent.parent / "vectors" / "receipts.json").read_text(encoding="utf-8")
)


def test_canonical_json() -> None:
    for case in VECTORS["canonical_json"]["valid"]:
        assert canonical_json(json.loads(case["input"])) == case["canonical"]
    for case in VECTORS["canonical_json"]["invalid"]:
        value = json.loads(case["input"])
        if isinstance(value, dict) and isinstance(value.get("x"), float):
            continue  # the log never holds a float: NewEvent refuses it (see make_vectors)
        with pytest.raises(InvalidPayload):
            canonical_json(value)


def test_event_chain_merkle_and_checkpoint() -> None:
    prev = GENESIS_HASH
    hashes = []
    for i, event in enumerate(VECTORS["events"], start=1):
        record = record_from_line(event["line"].encode(), i)
        assert record.canonical_bytes().decode() == event["canonical_bytes"]
        assert record.prev_hash == prev
        assert record.computed_hash() == record.hash == bytes.fromhex(event["hash"])
        prev = record.hash
        hashes.append(record.hash)
    m = VECTORS["merkle"]
    leaves = [merkle.leaf_hash(bytes.fromhex(d)) for d in m["leaf_data"]]
    for tree in m["trees"]:
        assert merkle.root(leaves[: tree["size"]]).hex() == tree["root"]
        for index, path in enumerate(tree["proofs"]):
            assert [p.hex() for p in merkle.inclusion_proof(leaves[: tree["size"]], index)] == path
    c = VECTORS["checkpoint"]
    key = SigningKey.from_seed(bytes.fromhex(c["seed"]))
    assert key.public_key().encode().hex() == c["public_key"]
    assert merkle.root(merkle.leaf_hash(h) for h in hashes[: c["position"]]).hex() == c["log_root"]
    checkpoint = Checkpoint(
        c["position"],
        bytes.fromhex(c["head_hash"]),
        bytes.fromhex(c["log_root"]),
        bytes.fromhex(c["signature"]),
    )
    assert checkpoint.message().hex() == c["message"]


def verify(reply: dict[str, Any], code: str) -> None:
    key = b64decode(reply["checkpoint_key"])
    ballot = verify_receipt_reply(reply, code, key)
    b = VECTORS["ballot_context"]
    verify_counted_reply(
        reply, ballot, key, election_key=bytes.fromhex(b["election_key"]), options=b["options"]
    )


def test_the_receipt_reply_verifies_and_its_ballot_has_the_code() -> None:
    reply = VECTORS["receipt"]
    verify(reply, reply["tracking_code"])
    payload = record_from_line(reply["record"].encode(), 0).payload()
    b = VECTORS["ballot_context"]
    ctx = cb.BallotContext(
        b["session_id"],
        payload["round_number"],
        Point.decode(bytes.fromhex(b["election_key"])),
        payload["delegation_id"],
        tuple(b["options"]),
    )
    ballot = cb.ballot_from_json(payload["ballot"])
    assert cb.tracking_code(ctx, ballot, b64decode(payload["signature"])) == reply["tracking_code"]
    with pytest.raises(CheckpointError) as info:
        verify({**reply, "inclusion_proof": reply["inclusion_proof"][::-1]}, reply["tracking_code"])
    assert info.value.code == "receipt_not_included"


def test_the_ballot_set_proof_is_checked() -> None:
    reply = VECTORS["receipt"]
    code = reply["tracking_code"]
    good = reply["ballot_set"]
    assert good["ballot_proof"] and good["leaf_index"] > 0
    flipped = bytes.fromhex(good["ballot_proof"][0])
    flipped = bytes([flipped[0] ^ 1]) + flipped[1:]
    for changed, expected in [
        ({"leaf_index": good["leaf_index"] + 1}, "ballot_set_mismatch"),
        ({"ballot_proof": [flipped.hex(), *good["ballot_proof"][1:]]}, "ballot_set_mismatch"),
        ({"inclusion_proof": good["inclusion_proof"][::-1]}, "receipt_not_included"),
        ({"record": reply["record"]}, "round_closed_invalid"),
        ({"record": good["record"].replace('"ballot_count":5', '"ballot_count":6')},
         "round_closed_invalid"),
    ]:  # fmt: skip
        with pytest.raises(CheckpointError) as info:
            verify({**reply, "ballot_set": {**good, **changed}}, code)
        assert info.value.code == expected, changed


def test_a_reply_that_is_not_a_receipt_reply_is_refused_as_malformed() -> None:
    reply = VECTORS["receipt"]
    key = b64decode(reply["checkpoint_key"])
    code = reply["tracking_code"]
    for broken in (
        {**reply, "record": None},
        {**reply, "inclusion_proof": "00"},
        {**reply, "inclusion_proof": ["zz"]},
    ):
        with pytest.raises(CheckpointError) as info:
            verify_receipt_reply(broken, code, key)
        assert info.value.code == "receipt_malformed"
    ballot = verify_receipt_reply(reply, code, key)
    b = VECTORS["ballot_context"]
    for broken in ({**reply, "ballot_set": None}, {**reply, "ballot_set": {"record": 1}}):
        with pytest.raises(CheckpointError) as info:
            verify_counted_reply(
                broken,
                ballot,
                key,
                election_key=bytes.fromhex(b["election_key"]),
                options=b["options"],
            )
        assert info.value.code == "receipt_malformed"
