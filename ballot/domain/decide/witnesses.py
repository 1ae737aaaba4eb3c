"""Witnesses of the record: admitting a witness, and a witness's (or a teller's) cosignature
of a signed checkpoint.

A checkpoint is signed by the server's key; a cosignature is a second party's statement that
this checkpoint extends every earlier one it saw (it checked the RFC 9162 consistency proof
before signing). A database owner who rewrites the log must then fool every witness too — or
leave checkpoints that nobody cosigned, which the audit refuses when the session's
``witnesses_required`` asks for cosignatures.
"""

from __future__ import annotations

from ballot.domain import crypto_port
from ballot.domain.commands import AdmitWitness, CosignCheckpoint
from ballot.domain.errors import Refusal
from ballot.domain.events import CheckpointCosigned, Event, WitnessAdmitted
from ballot.domain.guards import Handlers
from ballot.domain.state import SessionState

HANDLERS = Handlers()


@HANDLERS.on(AdmitWitness)
def _admit(state: SessionState, cmd: AdmitWitness) -> list[Event]:
    if state.phase == "new":
        raise Refusal("session_not_convened", "convene the session first")
    if state.phase == "adjourned":
        raise Refusal("session_adjourned", "the session is adjourned")
    known = state.witnesses.get(cmd.witness_id)
    if known is not None and (known.name, known.public_key) == (cmd.name, cmd.public_key):
        return []  # an exact re-send
    if cmd.witness_id in state.ids_in_use():
        raise Refusal("duplicate_id", f"{cmd.witness_id} is already in use")
    crypto_port.verify_key(cmd.public_key, "witness key")
    return [WitnessAdmitted(witness_id=cmd.witness_id, name=cmd.name, public_key=cmd.public_key)]


@HANDLERS.on(CosignCheckpoint)
def _cosign(state: SessionState, cmd: CosignCheckpoint) -> list[Event]:
    # Allowed in any phase once convened, like checkpoints: the last checkpoint of a session
    # is cosigned after its adjournment.
    if state.phase == "new":
        raise Refusal("session_not_convened", "convene the session first")
    key = state.witness_key(cmd.witness_id)
    if key is None:
        raise Refusal("unknown_witness", f"no witness or enrolled teller {cmd.witness_id}")
    checkpoint = state.checkpoints.get(cmd.position)
    if checkpoint is None:
        raise Refusal("invalid_checkpoint", f"no signed checkpoint covers position {cmd.position}")
    if cmd.witness_id in checkpoint.cosigners:
        raise Refusal(
            "already_cosigned", f"{cmd.witness_id} has cosigned position {cmd.position} already"
        )
    crypto_port.check_cosignature(
        key,
        state.session_id,
        cmd.position,
        checkpoint.head_hash,
        checkpoint.log_root,
        cmd.signature,
    )
    return [
        CheckpointCosigned(
            witness_id=cmd.witness_id, position=cmd.position, signature=cmd.signature
        )
    ]
