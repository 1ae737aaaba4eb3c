"""What the route tables share: role lists, command building, path parameters, replies."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ValidationError

from ballot import queries
from ballot.api import models as m
from ballot.api.context import Context, accepted, context
from ballot.api.logindex import SignedCheckpoint
from ballot.api.problems import Problem
from ballot.api.routing import Call, Role
from ballot.domain import (
    Command,
)
from ballot.domain.state import RoundState
from ballot.domain.values import b64encode
from ballot.ledger import Checkpoint
from ballot.service import SessionService

SECRETARIAT = [Role.SECRETARIAT]
TELLER = [Role.TELLER]
DELEGATION = [Role.DELEGATION]
ANYONE = [Role.PUBLIC]

C = TypeVar("C", bound=BaseModel)


def command(kind: type[C], **fields: Any) -> C:
    """Build a domain command from request data; a field the domain refuses is a 422."""
    try:
        return kind(**fields)
    except ValidationError as exc:
        errors = [
            {"loc": [str(p) for p in e["loc"]], "msg": e["msg"], "type": e["type"]}
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise Problem(
            "validation_error", f"invalid {kind.__name__}", extra={"errors": errors}
        ) from None


#: A decimal count as a client writes it: ASCII digits only (``str.isdigit`` also takes
#: "²" and "٣", which ``int`` then refuses), short enough to be a position in any log.
_DECIMAL: Final = re.compile(r"[0-9]{1,16}")
#: The largest position or count a client may name: JSON's exact-integer limit (2^53 - 1),
#: well inside PostgreSQL's bigint.
MAX_POSITION: Final = 2**53 - 1


def round_number(call: Call[Any]) -> int:
    """The ``{n}`` path parameter as a positive integer."""
    text = call.path("n")
    if not _DECIMAL.fullmatch(text) or not 0 < int(text) < 2**31:
        raise Problem("not_found", f"no round {text!r}")
    return int(text)


def position_parameter(text: str | None, name: str) -> int:
    """A non-negative log position from a query parameter or header (``None``: 0), or the
    problem ``validation_error`` — before any response starts, so that a bad value is a
    clear refusal and never a stream cut short."""
    if text is None:
        return 0
    if not _DECIMAL.fullmatch(text) or int(text) > MAX_POSITION:
        raise Problem("validation_error", f"{name} must be an integer from 0 to {MAX_POSITION}")
    return int(text)


def round_of(service: SessionService, number: int) -> RoundState:
    """A round of the session, or ``not_found``."""
    for r in service.state.rounds:
        if r.number == number:
            return r
    raise Problem("not_found", f"no round {number} in session {service.session_id}")


async def run_simple(call: Call[Any], build: Command) -> m.Accepted:
    """Run ``build`` in the call's session and reply what was accepted."""
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    return m.Accepted(**accepted(await ctx.run(service, build, call.principal)))


def round_definition(session_id: str, r: RoundState) -> m.RoundDefinition:
    """A round as the API describes it (what a delegation's page encrypts for)."""
    return m.RoundDefinition(
        session_id=session_id,
        round_number=r.number,
        kind=r.kind,
        status=r.status,
        options=list(r.options),
        candidate=r.candidate,
        election_key=b64encode(r.election_key.encode()),
        eligible=len(r.roll),
        deposited=r.ballot_count,
        opened_at=r.opened_at,
    )


async def signed_checkpoints(ctx: Context, service: SessionService) -> m.Checkpoints:
    """The session's signed checkpoints and checkpoint key, as the API replies them."""
    cosigned = service.state.checkpoints
    found = [
        checkpoint_reply(
            SignedCheckpoint(Checkpoint.from_event(event), record.position),
            cosigned[event.position].cosigners if event.position in cosigned else (),
        )
        for event, record in await queries.signed_checkpoints(ctx.store, service.session_id)
    ]
    key = service.state.checkpoint_key
    return m.Checkpoints(checkpoint_key=b64encode(key) if key else None, checkpoints=found)


def checkpoint_reply(signed: SignedCheckpoint, cosigners: Sequence[str] = ()) -> m.Checkpoint:
    """A signed checkpoint as the API replies it (with who cosigned it, where known)."""
    return m.Checkpoint(
        position=signed.checkpoint.position,
        head_hash=signed.checkpoint.head_hash.hex(),
        log_root=signed.checkpoint.log_root.hex(),
        signature=b64encode(signed.checkpoint.signature),
        recorded_at_position=signed.recorded_at_position,
        cosigned_by=list(cosigners),
    )
