"""RFC 9457 problem documents: every refusal, of any layer, as one stable ``type``.

A problem's ``type`` is ``/api/v1/problems/{code}`` (served: a short description of that
code), its ``title`` is the code's fixed one-line title, ``detail`` explains this instance, and
``status`` is the HTTP status. Extra members carry JSON-safe specifics (``teller``, …).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from ballot.domain import REFUSAL_CODES, Refusal
from events.errors import StoreError

PROBLEM_BASE: Final = "/api/v1/problems/"
CONTENT_TYPE: Final = "application/problem+json"

#: Problems raised by the HTTP layer itself (not by the rules).
API_CODES: Final[Mapping[str, tuple[int, str]]] = {
    "unauthorized": (401, "Authentication is required"),
    "forbidden": (403, "This role may not do this"),
    "not_found": (404, "No such resource"),
    "method_not_allowed": (405, "Method not allowed on this resource"),
    "bad_request": (400, "The request body is not valid JSON"),
    "validation_error": (422, "The request does not match its schema"),
    "payload_too_large": (413, "The request body is too large"),
    "unsupported_media_type": (415, "Send application/json"),
    "conflict_retry": (409, "The session changed concurrently; retry the request"),
    "enrollment_code_unknown": (404, "No delegation holds this enrollment code"),
    "enrollment_role_mismatch": (409, "This code is for another kind of participant"),
    "teller_refused": (409, "The teller refuses to decrypt this aggregate"),
    "database_unavailable": (503, "The database is unreachable; retry shortly"),
    "not_ready": (503, "The server is not ready to serve; retry shortly"),
    "log_rewound": (503, "The session's log was moved back behind this server; it stopped"),
    "signer_unavailable": (503, "This server does not hold the session's checkpoint key"),
    "internal_error": (500, "Internal error"),
}

#: Seconds a client is asked to wait (``Retry-After``) when the database is unreachable:
#: reconnecting is immediate once it is back.
RETRY_AFTER_SECONDS: Final = 2

# HTTP status of each rules refusal: 404 for unknown things, 422 for input that can never be
# valid, 403 for a delegation that may not act, 409 for everything that depends on the
# session's current state.
_NOT_FOUND = {
    "unknown_member",
    "unknown_delegation",
    "unknown_candidate",
    "unknown_teller",
    "unknown_witness",
}
_UNPROCESSABLE = {
    "invalid_voting_rights",
    "invalid_public_key",
    "malformed_ballot",
    "invalid_ballot",
    "invalid_signature",
    "malformed_share",
    "invalid_share",
    "invalid_ceremony_message",
    "invalid_checkpoint",
    "invalid_cosignature",
    "invalid_challenge",
    "enrollment_code_invalid",
    "wrong_round_number",
    "lots_seed_mismatch",
}
_FORBIDDEN = {"not_eligible", "not_enrolled", "observer_has_no_vote"}


def refusal_status(code: str) -> int:
    """HTTP status for a rules refusal code."""
    if code in _NOT_FOUND:
        return 404
    if code in _UNPROCESSABLE:
        return 422
    if code in _FORBIDDEN:
        return 403
    return 409


@dataclass
class Problem(Exception):
    """An error response. Raise it anywhere in a handler; the middleware renders it."""

    code: str
    detail: str
    status: int = 0
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code in API_CODES:
            status, title = API_CODES[self.code]
        elif self.code in REFUSAL_CODES:
            status, title = refusal_status(self.code), REFUSAL_CODES[self.code]
        else:
            raise ValueError(f"unregistered problem code {self.code!r}")
        self.status = self.status or status
        self.title = self.title or title
        super().__init__(f"{self.code}: {self.detail}")

    @classmethod
    def from_refusal(cls, refusal: Refusal) -> Problem:
        """The problem document of a rules refusal."""
        return cls(refusal.code, refusal.message, extra=dict(refusal.detail))

    @classmethod
    def from_store_error(cls, error: StoreError) -> Problem:
        """Store refusals that reach a client (a retried command that still conflicts)."""
        return cls("conflict_retry", str(error))

    def document(self, instance: str | None = None) -> dict[str, Any]:
        """The RFC 9457 JSON object."""
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        for key, value in self.extra.items():
            body.setdefault(key, value)
        return body


def all_problem_types() -> dict[str, dict[str, Any]]:
    """Every problem code with its status and title (served under ``/api/v1/problems``)."""
    listing = {code: {"status": s, "title": t} for code, (s, t) in API_CODES.items()}
    for code, title in REFUSAL_CODES.items():
        listing[code] = {"status": refusal_status(code), "title": title}
    return dict(sorted(listing.items()))
