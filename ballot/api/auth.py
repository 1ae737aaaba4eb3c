"""Who is calling: the secretariat's operator token, and delegations' and tellers' tokens.

* The **secretariat** token is set at start (``BALLOT_SECRETARIAT_TOKEN``) or generated on the
  first start, printed once, and kept only as its SHA-256 digest in the state folder.
* **Delegations and tellers** get a bearer token when they enroll (one-time enrollment code +
  the Ed25519 public key their browser made). Only its digest is stored, with the public key
  it was issued for; it stays valid only while that key is the subject's enrolled key in the
  session's log, so re-issued credentials revoke it at once.

Tokens and codes never reach a log line or an event. Comparisons of secrets are constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from aiohttp import web

from ballot.api.problems import Problem
from ballot.api.routing import PUBLIC, Principal, Role
from ballot.memo import BoundedMemo
from events.postgres import PostgresEventStore

TOKEN_BYTES = 32
#: 130 bits in 26 base32 characters: the code's digest is public in the log, so the code
#: itself must be infeasible to guess offline.
ENROLLMENT_CODE_BYTES = 17


def digest(secret: str) -> bytes:
    """SHA-256 of a token or code (the only form the server keeps)."""
    return hashlib.sha256(secret.encode("utf-8")).digest()


def new_token() -> str:
    """A fresh bearer token (256 bits, base64url)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_BYTES)).rstrip(b"=").decode()


def new_enrollment_code() -> str:
    """A fresh one-time enrollment code: 26 base32 characters in groups, easy to read aloud."""
    raw = base64.b32encode(secrets.token_bytes(ENROLLMENT_CODE_BYTES)).decode().rstrip("=")[:26]
    return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))


def normalize_code(code: str) -> str:
    """Codes are compared without spaces/dashes and case-insensitively (typed by hand)."""
    compact = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(compact[i : i + 5] for i in range(0, len(compact), 5))


@dataclass
class SecretariatToken:
    """The operator token's digest; ``announce`` holds a newly generated token to print once."""

    digest: bytes
    announce: str | None = None

    @classmethod
    def load(cls, state_dir: Path) -> SecretariatToken:
        """From ``BALLOT_SECRETARIAT_TOKEN``, or the state folder, or newly generated."""
        configured = os.environ.get("BALLOT_SECRETARIAT_TOKEN")
        if configured:
            return cls(digest(configured))
        path = state_dir / "secretariat-token.sha256"
        if path.exists():
            return cls(bytes.fromhex(path.read_text().strip()))
        token = new_token()
        state_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(digest(token).hex() + "\n")
        path.chmod(0o600)
        return cls(digest(token), announce=token)

    def matches(self, token: str) -> bool:
        """Constant-time check of a presented token."""
        return hmac.compare_digest(digest(token), self.digest)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A stored delegation/teller token."""

    session_id: str
    role: Role
    subject: str
    public_key: bytes


class TokenStore:
    """Digests of delegation and teller tokens, in PostgreSQL.

    A stored token record never changes (a token is revoked by enrolling another key, which
    :class:`Authenticator` checks against the log on every request), so records found are
    kept in memory: a delegation's casts do not each cost a database round trip. Misses are
    not remembered — a token just issued by another server process must work at once.
    """

    #: Records kept in memory (least recently used first out).
    CACHE_SIZE = 50_000

    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store
        self._known: BoundedMemo[bytes, TokenRecord] = BoundedMemo(self.CACHE_SIZE)

    async def issue(self, session_id: str, role: Role, subject: str, public_key: bytes) -> str:
        """Create and remember a token for ``subject``; return it (shown once)."""
        token = new_token()
        key = digest(token)
        await self._store.pool.execute(
            "INSERT INTO api_tokens (token_hash, session_id, role, subject, public_key)"
            " VALUES ($1, $2, $3, $4, $5)",
            key,
            session_id,
            role.value,
            subject,
            public_key,
        )
        self._known.keep(key, TokenRecord(session_id, role, subject, bytes(public_key)))
        return token

    async def find(self, token: str) -> TokenRecord | None:
        """The record of a presented token, if any (lookup by digest)."""
        key = digest(token)
        record = self._known.get(key)
        if record is not None:
            return record
        row = await self._store.pool.fetchrow(
            "SELECT session_id, role, subject, public_key FROM api_tokens WHERE token_hash = $1",
            key,
        )
        if row is None:
            return None
        record = TokenRecord(row[0], Role(row[1]), row[2], bytes(row[3]))
        self._known.keep(key, record)
        return record


def bearer(request: web.Request) -> str | None:
    """The bearer token of a request, if it sent one."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


class EnrolledKey(Protocol):
    """The currently enrolled public key of a delegation or teller, if any."""

    async def __call__(self, session_id: str, subject: str) -> bytes | None: ...


class Authenticator:
    """Maps a request to its :class:`Principal` (``PUBLIC`` without a token)."""

    def __init__(
        self, secretariat: SecretariatToken, tokens: TokenStore, enrolled_key: EnrolledKey
    ) -> None:
        self._secretariat = secretariat
        self._tokens = tokens
        self._enrolled_key = enrolled_key

    async def __call__(self, request: web.Request) -> Principal:
        token = bearer(request)
        if token is None:
            return PUBLIC
        if self._secretariat.matches(token):
            return Principal(Role.SECRETARIAT)
        record = await self._tokens.find(token)
        if record is None:
            raise Problem("unauthorized", "unknown or revoked token")
        current = await self._enrolled_key(record.session_id, record.subject)
        if current is None or not hmac.compare_digest(current, record.public_key):
            raise Problem("unauthorized", "this token's key is no longer the enrolled key")
        return Principal(record.role, record.session_id, record.subject)
