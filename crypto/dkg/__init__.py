"""Dealerless k-of-n key generation: Pedersen's DKG with Feldman commitments.

``n`` tellers, indexed ``1..n``, make an election key ``K`` whose secret any ``k`` of them
can use jointly (threshold decryption) while any ``k - 1`` learn nothing about it. Nobody,
at any point, holds or computes the secret key itself.

The ceremony (every message below has a binary and a JSON form; ``docs/verification-spec.md §12``):

1. **Commit.** Teller ``i`` draws a secret polynomial ``f_i(x) = a_i0 + a_i1·x + … +
   a_i,k-1·x^(k-1)`` and an X25519 key pair, and publishes a :class:`DealerCommitment`:
   the Feldman commitments ``C_im = a_im·G`` (none the identity), a Schnorr proof of
   knowledge of each ``a_im`` bound to the ceremony, the dealer, the position and the
   dealer's encryption key, and the X25519 public key. :func:`verify_commitment` checks it.
2. **Deal.** Teller ``i`` sends every other teller ``j`` the share ``s_ij = f_i(j)``
   encrypted to ``j``'s X25519 key (:func:`deal`): X25519 with a fresh ephemeral key,
   HKDF-SHA256, AES-256-GCM, the associated data binding the ceremony, the dealer and the
   recipient. The server relays shares but cannot read or redirect them.
3. **Check and complain.** Teller ``j`` opens each share (:func:`open_share`) and checks
   ``s_ij·G = Σ_m C_im·j^m``. If a share is missing, does not open or does not match, ``j``
   publishes a :class:`Complaint`; the accused answers with the share in the clear
   (:func:`answer_complaint`, a :class:`ComplaintAnswer`), which anyone can check
   (:func:`verify_revealed_share`). A dealer who does not answer, or answers with a share
   that does not match its commitments, is disqualified; otherwise the accuser uses the
   revealed share.
4. **Result.** ``QUAL`` (:func:`qualified`) is the set of dealers not disqualified, and must
   have at least ``k`` members. The election key is ``K = Σ_{i∈QUAL} C_i0``
   (:func:`joint_public_key`); teller ``j``'s public verification key is
   ``V_j = Σ_{i∈QUAL} Σ_m C_im·j^m`` (:func:`verification_key`, computable by anyone); its
   secret key share is ``x_j = Σ_{i∈QUAL} s_ij`` (:func:`combine_key_share`), which satisfies
   ``x_j·G = V_j`` (:func:`verify_key_share`). Any ``k`` of the ``x_j`` are points on the
   polynomial ``Σ_{i∈QUAL} f_i``, whose value at 0 is the secret of ``K``.

Authenticity of the messages (who sent which commitment, share, complaint or answer) comes
from the layer above: every message is submitted and signed by its teller (over its
:meth:`encode` bytes framed with the ceremony context, see ``docs/verification-spec.md §12``), and a
recipient checks the dealer's signature on an :class:`EncryptedShare` before opening it. Without that,
a relay could corrupt honest shares to provoke complaints and make honest dealers reveal
them.
"""

from __future__ import annotations

from crypto.dkg.ceremony import (
    answer_complaint,
    combine_key_share,
    deal,
    joint_public_key,
    new_dealer,
    open_share,
    own_share,
    qualified,
    verification_key,
    verify_commitment,
    verify_key_share,
    verify_revealed_share,
)
from crypto.dkg.forms import (
    complaint_answer_from_json,
    complaint_answer_to_json,
    complaint_from_json,
    complaint_to_json,
    dealer_commitment_from_json,
    dealer_commitment_to_json,
    encrypted_share_from_json,
    encrypted_share_to_json,
)
from crypto.dkg.messages import (
    MAX_SESSION_ID_BYTES,
    MAX_TELLERS,
    SHARE_CIPHERTEXT_BYTES,
    X25519_KEY_BYTES,
    CeremonyContext,
    CoefficientCountError,
    CommitmentProofError,
    Complaint,
    ComplaintAnswer,
    DealerCommitment,
    DealerSecrets,
    DkgContextError,
    DkgError,
    DkgIndexError,
    DkgMessageError,
    EncryptedShare,
    EncryptionKeyError,
    IdentityCommitmentError,
    KeyShareError,
    NotEnoughQualifiedError,
    ShareMisaddressedError,
    ShareRejected,
)

__all__ = [
    "MAX_SESSION_ID_BYTES",
    "MAX_TELLERS",
    "SHARE_CIPHERTEXT_BYTES",
    "X25519_KEY_BYTES",
    "CeremonyContext",
    "CoefficientCountError",
    "CommitmentProofError",
    "Complaint",
    "ComplaintAnswer",
    "DealerCommitment",
    "DealerSecrets",
    "DkgContextError",
    "DkgError",
    "DkgIndexError",
    "DkgMessageError",
    "EncryptedShare",
    "EncryptionKeyError",
    "IdentityCommitmentError",
    "KeyShareError",
    "NotEnoughQualifiedError",
    "ShareMisaddressedError",
    "ShareRejected",
    "answer_complaint",
    "combine_key_share",
    "complaint_answer_from_json",
    "complaint_answer_to_json",
    "complaint_from_json",
    "complaint_to_json",
    "deal",
    "dealer_commitment_from_json",
    "dealer_commitment_to_json",
    "encrypted_share_from_json",
    "encrypted_share_to_json",
    "joint_public_key",
    "new_dealer",
    "open_share",
    "own_share",
    "qualified",
    "verification_key",
    "verify_commitment",
    "verify_key_share",
    "verify_revealed_share",
]
