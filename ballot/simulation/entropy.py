"""Randomness and time for simulated participants: real by default, reproducible on request.

A real participant draws every secret from the operating system's CSPRNG and reads the clock.
A *seeded* simulation expands one seed, per label, into everything a run needs (signing keys,
ballot nonces, ceremony polynomials, enrollment codes, lots seeds) and uses a simulated clock,
so that the same seed and scenario give the same payloads and event ids. Seeded randomness is
for tests and benchmarks only: anyone who knows the seed knows every vote.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Final

from crypto.group import RandomScalars, Scalar, frame, seeded_scalars
from crypto.signing import SigningKey

#: Domain tag of the seed expansion.
_TAG: Final[bytes] = b"ballot/v1/simulation"
#: A fixed, arbitrary start for simulated clocks (reproducible timestamps).
SIMULATED_START: Final[datetime] = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    """The current time (UTC)."""
    return datetime.now(UTC)


@dataclass
class SimulatedClock:
    """A clock that starts at ``start`` and advances by ``step`` every time it is read."""

    start: datetime = SIMULATED_START
    step: timedelta = timedelta(seconds=1)
    _reads: int = 0

    def __call__(self) -> datetime:
        moment = self.start + self._reads * self.step
        self._reads += 1
        return moment


@dataclass
class Entropy:
    """The randomness of a simulation: the CSPRNG (``seed=None``) or a seed expanded per label.

    Each draw under the same label gets a fresh stream (a per-label counter is mixed in), so a
    seeded run never reuses a nonce even if a participant asks twice for the same purpose.
    """

    seed: bytes | None = field(default=None, repr=False)
    _uses: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def seeded(self) -> bool:
        """Whether draws are reproducible."""
        return self.seed is not None

    def derive(self, label: str) -> bytes | None:
        """A 32-byte seed for ``label`` (a fresh one per call), or ``None`` when not seeded."""
        if self.seed is None:
            return None
        use = self._uses.get(label, 0)
        self._uses[label] = use + 1
        return hashlib.sha256(
            frame(_TAG, self.seed, label.encode(), use.to_bytes(8, "big"))
        ).digest()

    def scalars(self, label: str) -> RandomScalars:
        """A source of scalars for ``label`` (nonces, polynomial coefficients, proof witnesses)."""
        derived = self.derive(label)
        return Scalar.random if derived is None else seeded_scalars(derived)

    def token(self, label: str, size: int = 32) -> bytes:
        """``size`` random bytes (at most 32 when seeded)."""
        derived = self.derive(label)
        return secrets.token_bytes(size) if derived is None else derived[:size]

    def signing_key(self, label: str) -> SigningKey:
        """An Ed25519 key."""
        derived = self.derive(label)
        return SigningKey.generate() if derived is None else SigningKey.from_seed(derived)

    def code(self, label: str) -> str:
        """A one-time enrollment code: 128 bits as 22 base64url characters (its digest is
        public, so it must not be guessable)."""
        return base64.urlsafe_b64encode(self.token(label, 16)).rstrip(b"=").decode("ascii")


def code_digest(code: str) -> bytes:
    """The SHA-256 digest of an enrollment code, as the credentials desk records it."""
    return hashlib.sha256(code.encode("utf-8")).digest()
