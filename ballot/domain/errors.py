"""Refusals: the one way a command is turned down.

A refusal changes nothing: :func:`ballot.domain.decide` raises it before any event exists.
Every refusal has a stable snake_case :attr:`Refusal.code` (the API maps it to an RFC 9457
problem ``type`` ending in that code) and a human :attr:`Refusal.message`. The registry
:data:`REFUSAL_CODES` lists every code with a one-line title, so the API, the docs and the
tests all speak the same vocabulary.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

_CODES: dict[str, str] = {
    # session lifecycle
    "session_not_convened": "The session has not been convened",
    "session_already_convened": "The session is already convened",
    "already_elected": "A candidate has been elected; the session only reads now",
    "session_adjourned": "The session is adjourned; it only reads now",
    "round_in_progress": "A round is open or awaiting its tally",
    # roll
    "duplicate_id": "This identifier is already in use in the session",
    "unknown_member": "No member state with this identifier",
    "observer_has_no_vote": "Observers have no voting rights to change",
    "invalid_voting_rights": "Inconsistent voting-rights flags",
    # enrollment
    "credentials_not_accepted": "No enrollment code has been issued to this delegation",
    "enrollment_code_invalid": "The enrollment code does not match",
    "enrollment_code_used": "The enrollment code has already been used",
    "enrollment_code_expired": "The enrollment code has expired",
    "invalid_public_key": "The public key is not a valid Ed25519 key",
    "unknown_delegation": "No delegation or teller with this identifier",
    # candidates
    "nominations_closed": "Nominations are closed",
    "unknown_candidate": "No candidate with this identifier",
    "candidate_not_standing": "The candidate is not standing",
    "not_sole_candidate": "Acclamation needs exactly one candidate standing",
    "confirmation_required": "The settings require a confirmation ballot, not acclamation",
    # tellers and key ceremony
    "tellers_already_appointed": "Tellers have already been appointed",
    "wrong_teller_count": "The number of tellers differs from the session's setting",
    "tellers_not_appointed": "Tellers have not been appointed",
    "unknown_teller": "No teller with this identifier",
    "teller_not_enrolled": "The teller has not enrolled a key",
    "ceremony_closed": "The key ceremony is over",
    "ceremony_out_of_order": "This key-ceremony step is not possible yet",
    "duplicate_ceremony_message": "This teller already sent this key-ceremony message",
    "invalid_ceremony_message": "The key-ceremony message is malformed or does not verify",
    "not_enough_qualified_tellers": "Fewer qualified tellers than the threshold",
    "election_key_missing": "The election key has not been published",
    # rounds
    "wrong_round_number": "The round number is not the one expected",
    "no_quorum": "Members present are not a majority of the base",
    "no_candidates": "No candidate is standing",
    "sole_candidate": "One candidate is standing: record acclamation",
    "lots_commitment_required": "This round may need a drawing of lots: commit to a seed",
    "lots_seed_required": "The round committed to a lots seed: reveal it at close",
    "lots_seed_mismatch": "The revealed seed does not match the round's commitment",
    "lots_seed_unexpected": "The round committed to no lots seed",
    "round_not_open": "The round is not open",
    "round_not_closed": "The round is not closed awaiting its tally",
    "round_not_voidable": "Only an open or closed, untallied round can be voided",
    # ballots
    "not_eligible": "The delegation is not on this round's electoral roll",
    "not_enrolled": "The delegation has not enrolled a key",
    "already_voted": "The delegation has already cast a different ballot in this round",
    "malformed_ballot": "The ballot cannot be decoded for this round",
    "invalid_ballot": "The ballot's proofs do not verify",
    "invalid_signature": "The ballot's signature does not verify under the enrolled key",
    "ballot_spoiled": "The ballot reuses the encryption of a checked (spoiled) ballot",
    # tally
    "share_already_submitted": "The teller already submitted a different share for this round",
    "malformed_share": "The decryption share cannot be decoded",
    "invalid_share": "The decryption share does not verify",
    "tally_inconsistent": "The combined tally disagrees with the number of ballots",
    # checkpoints
    "invalid_checkpoint": "The checkpoint is malformed or its signature does not verify",
    "unknown_witness": "No witness or teller has this id",
    "invalid_challenge": "The opened ballot does not encrypt the revealed choice",
    "invalid_cosignature": "The cosignature does not verify under the witness's key",
    "already_cosigned": "This witness has already cosigned this checkpoint",
}

#: Every refusal code with a one-line title (read-only).
REFUSAL_CODES: Final[Mapping[str, str]] = MappingProxyType(_CODES)


class Refusal(Exception):
    """A command refused by the rules; nothing was changed.

    ``code`` is one of :data:`REFUSAL_CODES`; ``message`` explains this instance; ``detail``
    carries JSON-safe specifics (e.g. which teller's share failed).
    """

    code: str
    message: str
    detail: Mapping[str, str | int | None]

    def __init__(self, code: str, message: str, **detail: str | int | None) -> None:
        if code not in REFUSAL_CODES:
            raise ValueError(f"unregistered refusal code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.detail = MappingProxyType(dict(detail))

    def __reduce__(self) -> tuple[Any, tuple[str, str, dict[str, str | int | None]]]:
        # Refusals cross process pools (the ballot-proof check); keep code and detail.
        return (_rebuild, (self.code, self.message, dict(self.detail)))

    @property
    def title(self) -> str:
        """The code's stable one-line title."""
        return REFUSAL_CODES[self.code]

    def __repr__(self) -> str:
        return f"Refusal(code={self.code!r}, message={self.message!r})"


def _rebuild(code: str, message: str, detail: dict[str, str | int | None]) -> Refusal:
    return Refusal(code, message, **detail)
