"""Cast or challenge: a delegation may open an encrypted ballot instead of casting it (the
Benaloh challenge, :mod:`crypto.challenge`), as many times as it likes while the round is open
and it has not cast. The opened ballot is spoiled — recorded, public, never counted — and it
is the delegation's check that its page encrypted the choice it showed.
"""

from __future__ import annotations

from ballot.domain import crypto_port
from ballot.domain.commands import CastBallot, ChallengeBallot
from ballot.domain.errors import Refusal
from ballot.domain.events import BallotChallenged, Event
from ballot.domain.guards import Handlers
from ballot.domain.state import SessionState
from ballot.domain.verification import cast_preconditions, round_context
from crypto.ballot import render_tracking_code

HANDLERS = Handlers()


@HANDLERS.on(ChallengeBallot)
def _challenge(state: SessionState, cmd: ChallengeBallot) -> list[Event]:
    # The same preconditions as a cast of this ballot (round open, on its roll, enrolled).
    as_cast = CastBallot(
        delegation_id=cmd.delegation_id,
        round_number=cmd.round_number,
        ballot=cmd.ballot,
        signature=cmd.signature,
    )
    current, public_key = cast_preconditions(state, as_cast)
    if cmd.delegation_id in current.voters:
        # Once cast, a ballot can no longer be checked this way: nothing to spoil.
        raise Refusal(
            "already_voted",
            f"{cmd.delegation_id} has already voted in round {current.number}",
            delegation=cmd.delegation_id,
        )
    ctx = round_context(state, current, cmd.delegation_id)
    ballot = crypto_port.parse_ballot(cmd.ballot, len(current.options))
    crypto_port.check_ballot_signature(public_key, ctx, ballot, cmd.signature)
    choice = crypto_port.check_challenge(ctx, ballot, cmd.reveal)
    digest = crypto_port.tracking_digest(ctx, ballot, cmd.signature)
    return [
        BallotChallenged(
            round_number=current.number,
            delegation_id=cmd.delegation_id,
            ballot=cmd.ballot,
            signature=cmd.signature,
            reveal=cmd.reveal,
            option=current.options[choice],
            tracking_code=render_tracking_code(digest),
        )
    ]
