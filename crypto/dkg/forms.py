"""The JSON forms of the ceremony's messages (strict decoding: structure and every point)."""

from __future__ import annotations

from typing import Final

from crypto.dkg.messages import (
    MAX_TELLERS,
    SHARE_CIPHERTEXT_BYTES,
    X25519_KEY_BYTES,
    Complaint,
    ComplaintAnswer,
    DealerCommitment,
    DkgIndexError,
    DkgMessageError,
    EncryptedShare,
    IdentityCommitmentError,
)
from crypto.encoding import (
    b64d,
    b64e,
    expect_int,
    expect_list,
    expect_object,
    point_from_json,
    point_to_json,
    scalar_from_json,
    scalar_to_json,
    schnorr_from_json,
    schnorr_to_json,
)
from crypto.group import (
    GroupError,
)

# -- JSON forms ----------------------------------------------------------------------------

_COMMITMENT_KEYS: Final = ("index", "coefficient_commitments", "proofs", "encryption_key")
_SHARE_KEYS: Final = ("dealer", "recipient", "ephemeral_public", "ciphertext")
_COMPLAINT_KEYS: Final = ("accuser", "accused")
_ANSWER_KEYS: Final = ("accused", "accuser", "share")


def _index_from_json(obj: object, what: str) -> int:
    return expect_int(obj, what, minimum=1, maximum=MAX_TELLERS)


def _bounded_list(obj: object, what: str) -> list[object]:
    items = expect_list(obj, what)
    if not 1 <= len(items) <= MAX_TELLERS:
        raise DkgMessageError(f"{what} must have between 1 and {MAX_TELLERS} entries")
    return items


def dealer_commitment_to_json(commitment: DealerCommitment) -> dict[str, object]:
    """``{"index", "coefficient_commitments": [point…], "proofs": [schnorr…], "encryption_key"}``."""
    return {
        "index": commitment.index,
        "coefficient_commitments": [point_to_json(c) for c in commitment.coefficient_commitments],
        "proofs": [schnorr_to_json(p) for p in commitment.proofs],
        "encryption_key": b64e(commitment.encryption_key),
    }


def dealer_commitment_from_json(obj: object) -> DealerCommitment:
    """Strict inverse of :func:`dealer_commitment_to_json` (structure only; then call
    :func:`verify_commitment`). An identity commitment is refused here already."""
    try:
        fields = expect_object(obj, _COMMITMENT_KEYS, "dealer commitment")
        index = _index_from_json(fields["index"], "dealer commitment.index")
        points = tuple(
            point_from_json(x, f"coefficient_commitments[{m}]", allow_identity=True)
            for m, x in enumerate(_bounded_list(fields["coefficient_commitments"], "commitments"))
        )
        proofs = tuple(
            schnorr_from_json(x, f"proofs[{m}]")
            for m, x in enumerate(_bounded_list(fields["proofs"], "proofs"))
        )
        key = b64d(fields["encryption_key"], X25519_KEY_BYTES, "encryption_key")
    except GroupError as exc:
        raise DkgMessageError(f"dealer commitment: {exc}") from exc
    for m, c in enumerate(points):
        if c.is_identity():
            raise IdentityCommitmentError(
                f"coefficient commitment {m} is the identity", dealer=index
            )
    return DealerCommitment(index, points, proofs, key)


def encrypted_share_to_json(share: EncryptedShare) -> dict[str, object]:
    """``{"dealer", "recipient", "ephemeral_public", "ciphertext"}`` (byte strings base64url)."""
    return {
        "dealer": share.dealer,
        "recipient": share.recipient,
        "ephemeral_public": b64e(share.ephemeral_public),
        "ciphertext": b64e(share.ciphertext),
    }


def encrypted_share_from_json(obj: object) -> EncryptedShare:
    """Strict inverse of :func:`encrypted_share_to_json`."""
    try:
        fields = expect_object(obj, _SHARE_KEYS, "encrypted share")
        dealer = _index_from_json(fields["dealer"], "encrypted share.dealer")
        recipient = _index_from_json(fields["recipient"], "encrypted share.recipient")
        ephemeral = b64d(fields["ephemeral_public"], X25519_KEY_BYTES, "ephemeral_public")
        ciphertext = b64d(fields["ciphertext"], SHARE_CIPHERTEXT_BYTES, "ciphertext")
    except GroupError as exc:
        raise DkgMessageError(f"encrypted share: {exc}") from exc
    if dealer == recipient:
        raise DkgIndexError("a dealer does not send a share to itself", dealer=dealer)
    return EncryptedShare(dealer, recipient, ephemeral, ciphertext)


def complaint_to_json(complaint: Complaint) -> dict[str, object]:
    """``{"accuser", "accused"}``."""
    return {"accuser": complaint.accuser, "accused": complaint.accused}


def complaint_from_json(obj: object) -> Complaint:
    """Strict inverse of :func:`complaint_to_json`."""
    try:
        fields = expect_object(obj, _COMPLAINT_KEYS, "complaint")
        accuser = _index_from_json(fields["accuser"], "complaint.accuser")
        accused = _index_from_json(fields["accused"], "complaint.accused")
    except GroupError as exc:
        raise DkgMessageError(f"complaint: {exc}") from exc
    return Complaint(accuser, accused)


def complaint_answer_to_json(answer: ComplaintAnswer) -> dict[str, object]:
    """``{"accused", "accuser", "share": scalar}``."""
    return {
        "accused": answer.accused,
        "accuser": answer.accuser,
        "share": scalar_to_json(answer.share),
    }


def complaint_answer_from_json(obj: object) -> ComplaintAnswer:
    """Strict inverse of :func:`complaint_answer_to_json`."""
    try:
        fields = expect_object(obj, _ANSWER_KEYS, "complaint answer")
        accused = _index_from_json(fields["accused"], "complaint answer.accused")
        accuser = _index_from_json(fields["accuser"], "complaint answer.accuser")
        share = scalar_from_json(fields["share"], "complaint answer.share")
    except GroupError as exc:
        raise DkgMessageError(f"complaint answer: {exc}") from exc
    return ComplaintAnswer(accused, accuser, share)
