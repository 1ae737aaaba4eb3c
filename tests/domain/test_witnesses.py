"""Witnesses of the record (``decide/witnesses.py``): admitting one, and cosignatures of signed
checkpoints by a witness or an enrolled teller — each refusal named, nothing else changed."""

from __future__ import annotations

from ballot.domain import AdmitWitness, CheckpointCosigned, CosignCheckpoint, RecordCheckpoint
from crypto.signing import SigningKey, cosignature_message
from tests.domain.domain_kit import Kit, signing_key

WITNESS = SigningKey.from_seed(b"witness".ljust(32, b"."))


def kit_with_checkpoint() -> Kit:
    kit = Kit()
    kit.setup(5, ["A", "B"])
    kit.run(
        RecordCheckpoint(
            position=3, head_hash=b"\x01" * 32, log_root=b"\x02" * 32, signature=bytes(64)
        )
    )
    kit.run(AdmitWitness(witness_id="W1", name="Observer mission", public_key=public(WITNESS)))
    return kit


def public(key: SigningKey) -> bytes:
    return key.public_key().encode()


def cosign(kit: Kit, witness_id: str, key: SigningKey, position: int = 3) -> CosignCheckpoint:
    message = cosignature_message(kit.state.session_id, position, b"\x01" * 32, b"\x02" * 32)
    return CosignCheckpoint(witness_id=witness_id, position=position, signature=key.sign(message))


def test_a_witness_and_a_teller_cosign_a_checkpoint_once_each() -> None:
    kit = kit_with_checkpoint()
    (event,) = kit.run(cosign(kit, "W1", WITNESS))
    assert isinstance(event, CheckpointCosigned) and event.witness_id == "W1"
    teller = kit.teller_ids()[0]
    kit.run(cosign(kit, teller, signing_key(teller)))
    assert kit.state.checkpoints[3].cosigners == ("W1", teller)
    assert kit.replayed() == kit.state
    kit.refuse(cosign(kit, "W1", WITNESS), "already_cosigned")


def test_cosignatures_are_refused_by_name() -> None:
    kit = kit_with_checkpoint()
    kit.refuse(cosign(kit, "W9", WITNESS), "unknown_witness")
    kit.refuse(cosign(kit, "W1", WITNESS, position=4), "invalid_checkpoint")
    kit.refuse(cosign(kit, "W1", SigningKey.from_seed(b"x" * 32)), "invalid_cosignature")
    # Bound to its session: a cosignature made for another session's log does not verify.
    other = cosignature_message("another-session", 3, b"\x01" * 32, b"\x02" * 32)
    kit.refuse(
        CosignCheckpoint(witness_id="W1", position=3, signature=WITNESS.sign(other)),
        "invalid_cosignature",
    )
    assert kit.state.checkpoints[3].cosigners == ()


def test_admitting_a_witness() -> None:
    kit = kit_with_checkpoint()
    again = AdmitWitness(witness_id="W1", name="Observer mission", public_key=public(WITNESS))
    assert kit.run(again) == []  # an exact re-send
    kit.refuse(AdmitWitness(witness_id="A", name="x", public_key=public(WITNESS)), "duplicate_id")
    kit.refuse(
        AdmitWitness(witness_id="W2", name="x", public_key=b"\x00" * 32), "invalid_public_key"
    )
    fresh = Kit()
    fresh.refuse(again, "session_not_convened")
