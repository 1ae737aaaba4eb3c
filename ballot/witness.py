"""A witness of the record: follows a session's signed checkpoints from outside the server,
checks that each one extends every earlier one it saw, and cosigns it.

The witness keeps, outside the database, the last checkpoint it cosigned and the session's
checkpoint key as first seen (its state file). Each new checkpoint must be signed by that key
and come with an RFC 9162 consistency proof from the kept one; the witness then posts its
cosignature (``CheckpointCosigned``). Anything else — a changed key, a proof that fails, a log
whose checkpoints stop short of the one it kept, two heads for one position — is an alarm:
the witness cosigns nothing more and says what it saw. Its state file is a witnessed
checkpoint an auditor can hold against the log: ``ballot audit --checkpoint @STATE``.

The tellers' ``ballot teller run`` are witnesses too, with their enrolled keys.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ballot.client import Client
from ballot.domain.values import b64decode, b64encode
from ballot.ledger import (
    Checkpoint,
    CheckpointError,
    verify_checkpoint_signature,
    verify_consistency,
)
from crypto.signing import SigningKey, cosignature_message


class WitnessAlarm(Exception):
    """The log is not consistent with what this witness saw before: it cosigns nothing more."""


@dataclass
class WitnessState:
    """What a witness keeps between runs: the session, its key as first seen, the last
    checkpoint cosigned."""

    session_id: str
    checkpoint_key: bytes | None = None
    last: Checkpoint | None = None

    def to_json(self) -> dict[str, Any]:
        """The state file's object; ``checkpoint`` is in ``CheckpointSigned`` form."""
        return {
            "session_id": self.session_id,
            "checkpoint_key": None
            if self.checkpoint_key is None
            else b64encode(self.checkpoint_key),
            "checkpoint": None if self.last is None else self.last.to_json(),
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> WitnessState:
        """Inverse of :meth:`to_json`."""
        key = obj.get("checkpoint_key")
        last = obj.get("checkpoint")
        return cls(
            str(obj["session_id"]),
            None if key is None else b64decode(key),
            None if last is None else Checkpoint.from_json(last),
        )

    def save(self, path: Path) -> None:
        """Write atomically (a crash never leaves half a state)."""
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path, session_id: str) -> WitnessState:
        """The saved state, or a fresh one for ``session_id``."""
        if not path.exists():
            return cls(session_id)
        state = cls.from_json(json.loads(path.read_text("utf-8")))
        if state.session_id != session_id:
            raise WitnessAlarm(f"{path} witnesses session {state.session_id!r}, not {session_id!r}")
        return state


@dataclass
class Witness:
    """One witness (id and key) of one session, reached through ``client``."""

    client: Client
    witness_id: str
    signing_key: SigningKey
    state: WitnessState
    alarm: str | None = None
    cosigned: list[int] = field(default_factory=list)

    def _raise(self, message: str) -> None:
        self.alarm = message
        raise WitnessAlarm(message)

    async def step(self) -> list[int]:
        """Check every checkpoint published since the last one kept and cosign each; returns
        the positions cosigned. Raises :class:`WitnessAlarm` (and keeps refusing after)."""
        if self.alarm is not None:
            raise WitnessAlarm(self.alarm)
        reply = await self.client.checkpoints()
        key_text = reply.get("checkpoint_key")
        if key_text is None:
            return []
        key = b64decode(key_text)
        if self.state.checkpoint_key is None:
            self.state.checkpoint_key = key
        elif not hmac.compare_digest(key, self.state.checkpoint_key):
            self._raise("the session's checkpoint key changed since this witness first saw it")
        published = sorted(reply["checkpoints"], key=lambda c: int(c["position"]))
        last = self.state.last
        if last is not None and (not published or int(published[-1]["position"]) < last.position):
            self._raise(
                f"the log's checkpoints stop before position {last.position}, which this "
                "witness cosigned: the record was cut"
            )
        done: list[int] = []
        for item in published:
            checkpoint = Checkpoint.from_api(item)
            if last is not None and checkpoint.position <= last.position:
                if checkpoint.position == last.position and not hmac.compare_digest(
                    checkpoint.log_root, last.log_root
                ):
                    self._raise(f"two logs signed at position {last.position}")
                if checkpoint.position < last.position or self.witness_id in item["cosigned_by"]:
                    continue
            await self._check(checkpoint, last)
            if self.witness_id not in item["cosigned_by"]:
                message = cosignature_message(
                    self.client.session_id or "",
                    checkpoint.position,
                    checkpoint.head_hash,
                    checkpoint.log_root,
                )
                await self.client.cosign(
                    checkpoint.position, self.witness_id, b64encode(self.signing_key.sign(message))
                )
                done.append(checkpoint.position)
            last = checkpoint
            self.state.last = checkpoint
        self.cosigned.extend(done)
        return done

    async def _check(self, checkpoint: Checkpoint, last: Checkpoint | None) -> None:
        assert self.state.checkpoint_key is not None
        try:
            verify_checkpoint_signature(checkpoint, self.state.checkpoint_key)
        except CheckpointError as exc:
            self._raise(f"checkpoint {checkpoint.position}: {exc}")
        if last is None or last.position == checkpoint.position:
            return
        reply = await self.client.consistency(last.position, checkpoint.position)
        try:
            verify_consistency(last, checkpoint, [bytes.fromhex(h) for h in reply["proof"]])
        except (CheckpointError, ValueError) as exc:
            self._raise(
                f"the log signed at {checkpoint.position} does not extend the one this witness "
                f"cosigned at {last.position}: {exc}"
            )
