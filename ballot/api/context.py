"""What every handler reaches through the application: store, sessions, credentials, pool.

Handlers only parse, authorize, call and serialize; this module holds the shared plumbing
for the "call" part — running a domain command through the session's service and turning
refusals into problem documents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from ballot.api.auth import SecretariatToken, TokenStore
from ballot.api.hub import SessionHub
from ballot.api.problems import Problem
from ballot.api.routing import Principal, Role
from ballot.api.verifier import CastVerifier
from ballot.api.workers import WorkerPool
from ballot.domain import (
    CastBallot,
    Command,
    Refusal,
    VerifiedCast,
    cast_check,
    verified_cast,
)
from ballot.service import CommandConflict, Outcome, SessionService
from ballot.signer import sign_checkpoint
from crypto.signing import SigningKey
from events.postgres import PostgresEventStore

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The server's clock (UTC); commands carry it so the domain stays pure."""
    return datetime.now(UTC)


@dataclass
class Context:
    """Shared by all handlers of one server process."""

    store: PostgresEventStore
    hub: SessionHub
    tokens: TokenStore
    secretariat: SecretariatToken
    #: Signs checkpoints and receipts; held by this process, never by the database.
    signing_key: SigningKey
    clock: Callable[[], datetime] = utc_now
    workers: int = field(default_factory=lambda: max(1, os.cpu_count() or 1))
    _pool: WorkerPool | None = None
    _verifier: CastVerifier | None = None
    _casts: int = 0

    @property
    def pool(self) -> WorkerPool:
        """Worker processes for ballot checks, so the event loop stays responsive."""
        if self._pool is None:
            self._pool = WorkerPool(self.workers, preload=["ballot.api.verifier"])
        return self._pool

    async def session(self, session_id: str) -> SessionService:
        """The caught-up service of an existing session, or a ``not_found`` problem."""
        service = await self.hub.service(session_id)
        if service is None:
            raise Problem("not_found", f"no session {session_id!r}")
        return service

    async def run(
        self,
        service: SessionService,
        command: Command | VerifiedCast,
        principal: Principal,
        *,
        idempotency_key: str | None = None,
    ) -> Outcome:
        """Execute a command; refusals and lost races become problem documents."""
        actor = principal.role.value + (f":{principal.subject}" if principal.subject else "")
        try:
            return await service.execute(command, actor=actor, idempotency_key=idempotency_key)
        except Refusal as refusal:
            raise Problem.from_refusal(refusal) from None
        except CommandConflict as conflict:
            raise Problem("conflict_retry", str(conflict)) from None

    async def warm_pool(self) -> None:
        """Start the proof-check workers now, not on the first ballot of a burst."""
        # Of no weight: a worker's first call imports modules, which says nothing of its pace.
        await asyncio.gather(
            *(self.pool.submit(_warm, None, weight=0) for _ in range(self.workers))
        )

    def casting(self) -> bool:
        """Whether any cast is being handled right now (checked, decided or appended)."""
        return self._casts > 0

    async def cast(
        self, service: SessionService, command: CastBallot, principal: Principal
    ) -> Outcome:
        """Check a cast ballot (:meth:`check_cast`), then execute it (:meth:`run`)."""
        self._casts += 1
        try:
            verified = await self.check_cast(service, command)
            return await self.run(service, verified, principal)
        finally:
            self._casts -= 1

    @property
    def has_verifier(self) -> bool:
        """Whether a cast has started the proof-checking workers yet."""
        return self._verifier is not None

    @property
    def verifier(self) -> CastVerifier:
        """Batches cast-ballot checks into the process pool."""
        if self._verifier is None:
            self._verifier = CastVerifier(self.pool)
        return self._verifier

    async def check_cast(self, service: SessionService, command: CastBallot) -> VerifiedCast:
        """The expensive checks of a cast ballot — decoding, zero-knowledge proofs and the
        signature — in the worker processes (a refusal → problem): the
        :class:`VerifiedCast` the rules decide on.

        Built on the state this process follows; on a refusal it catches up with the log
        once and looks again, so a ballot for a round another process opened a moment ago
        is not refused.
        """
        try:
            try:
                check, key = cast_check(service.state, command)
            except Refusal:
                await service.catch_up()
                check, key = cast_check(service.state, command)
            checked = await self.verifier.check(check)
        except Refusal as refusal:
            raise Problem.from_refusal(refusal) from None
        return verified_cast(command, check, key, checked)

    # -- per-session secrets held by the server -------------------------------------------
    async def secret(self, session_id: str, name: str) -> bytes | None:
        """A stored session secret, if any."""
        value = await self.store.pool.fetchval(
            "SELECT value FROM session_secrets WHERE session_id = $1 AND name = $2",
            session_id,
            name,
        )
        return bytes(value) if value is not None else None

    async def keep_secret(self, session_id: str, name: str, value: bytes) -> bytes:
        """Store a secret once; if one exists already (another process), return that one."""
        await self.store.pool.execute(
            "INSERT INTO session_secrets (session_id, name, value) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            session_id,
            name,
            value,
        )
        stored = await self.secret(session_id, name)
        assert stored is not None
        return stored

    def signer(self, service: SessionService) -> SigningKey:
        """This process's key if it is the session's checkpoint key; else the problem
        ``signer_unavailable`` (a database restored without its key file, a key replaced):
        nothing that must be signed is then recorded."""
        expected = service.state.checkpoint_key
        if expected is None or expected != self.signing_key.public_key().encode():
            raise Problem(
                "signer_unavailable",
                f"session {service.session_id!r} is signed by another checkpoint key than "
                "this server's (see docs/audit.md, 'Where the checkpoint key lives')",
            )
        return self.signing_key

    async def sign_checkpoint(self, service: SessionService) -> None:
        """Sign a checkpoint of the log as it stands (after every round close, tally,
        acclamation and adjournment, and on demand)."""
        try:
            key = self.signer(service)
        except Problem as problem:
            log.error("no checkpoint signed: %s", problem.detail)
            return
        # The session's log index keeps the tree between checkpoints (so signing one reads only
        # the events since the last) and is the same tree receipt look-ups prove against.
        index = self.hub.log_index(service.session_id)
        async with index.signing:
            with contextlib.suppress(Refusal):  # another process signed this head first
                await sign_checkpoint(service, key, follow=index.catch_up)

    async def close(self) -> None:
        """Stop background work."""
        await self.hub.close()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
            self._verifier = None


def _warm(_: None) -> int:
    """A no-op run in each worker to start it (its modules are preloaded by the fork server)."""
    return os.getpid()


CONTEXT: web.AppKey[Context] = web.AppKey("ballot.context", Context)


def context(request: web.Request) -> Context:
    """The context of the application serving ``request``."""
    return request.app[CONTEXT]


def require_member_of(principal: Principal, session_id: str, role: Role) -> str:
    """The subject id of a delegation/teller acting in its own session (else ``forbidden``)."""
    if principal.role is not role or principal.session_id != session_id or not principal.subject:
        raise Problem("forbidden", f"only an enrolled {role.value} of this session may do this")
    return principal.subject


def accepted(outcome: Outcome) -> dict[str, Any]:
    """Fields of an :class:`~ballot.api.models.Accepted` reply."""
    position = outcome.result.last_position if outcome.result is not None else 0
    return {"position": position, "events": [type(e).event_type for e in outcome.events]}
