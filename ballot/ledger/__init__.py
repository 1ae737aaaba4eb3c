"""The ledger: what the record commits to, and the proofs anyone can check offline.

* :mod:`.checkpoint` — a **checkpoint** ``(P, head hash, log root)`` signed with the session's
  checkpoint key proves the log's first ``P`` events were exactly these, and two checkpoints
  of one log are **consistent** (RFC 9162) when the later extends the earlier;
* :mod:`.receipts` — a **receipt** (tracking code, record and inclusion proof) proves the
  record held the delegation's ballot under a signed checkpoint, and, once counted, that it is
  in its round's committed ballot set;
* :mod:`.signed_receipt` — a **signed receipt**: the server's signature that its log held a
  ballot at a position with a chain hash, which a log cut or rewritten later contradicts;
* :mod:`.ballot_set` — a round's **committed ballot set** (``RoundClosed.ballots_root``) and
  membership proofs in it;
* :mod:`.trees` — the **incremental log trees** a server and a streaming auditor keep.

Everything here is a pure function of hashes and signatures: the offline auditor and the
server use the same code, and neither needs the other (signing is :mod:`ballot.signer`).
"""

from ballot.ledger.ballot_set import (
    ballot_set_proof,
    verify_ballot_set_membership,
)
from ballot.ledger.checkpoint import (
    DEFAULT_WINDOW,
    HASH_BYTES,
    SIGNATURE_BYTES,
    Checkpoint,
    CheckpointError,
    checkpoint_from_head,
    consistency_proof,
    event_hash,
    log_leaves,
    log_prefix,
    log_root,
    make_checkpoint,
    text_field,
    verify_checkpoint,
    verify_checkpoint_signature,
    verify_consistency,
)
from ballot.ledger.receipts import (
    receipt_proof,
    verify_counted_receipt,
    verify_counted_reply,
    verify_published_receipt,
    verify_receipt,
    verify_receipt_reply,
)
from ballot.ledger.signed_receipt import RECEIPT_TYPE, SignedReceipt
from ballot.ledger.trees import (
    InclusionWitness,
    LogTree,
)

__all__ = [
    "DEFAULT_WINDOW",
    "HASH_BYTES",
    "RECEIPT_TYPE",
    "SIGNATURE_BYTES",
    "Checkpoint",
    "CheckpointError",
    "InclusionWitness",
    "LogTree",
    "SignedReceipt",
    "ballot_set_proof",
    "checkpoint_from_head",
    "consistency_proof",
    "event_hash",
    "log_leaves",
    "log_prefix",
    "log_root",
    "make_checkpoint",
    "receipt_proof",
    "text_field",
    "verify_ballot_set_membership",
    "verify_checkpoint",
    "verify_checkpoint_signature",
    "verify_consistency",
    "verify_counted_receipt",
    "verify_counted_reply",
    "verify_published_receipt",
    "verify_receipt",
    "verify_receipt_reply",
]
