"""The server's checkpoint key: the Ed25519 key that signs checkpoints and receipts.

It is never in the database. Whoever owns the database can rewrite the log; if they could also
sign with the session's key, a rewritten log would carry checkpoints and receipts as good as
the real ones. So the private key lives with the process that signs:

* ``BALLOT_CHECKPOINT_KEY`` — the 32-byte seed as 64 hex digits (an environment secret, e.g.
  a container orchestrator's secret), or else
* ``BALLOT_CHECKPOINT_KEY_FILE`` — a file holding those 64 hex digits, default
  ``<state folder>/checkpoint.key``. It must be readable by its owner only (mode 0600, as
  ssh asks of a private key): a key others can read is refused.

``ballot migrate`` and ``ballot serve`` make the file when it is missing (said on standard
error, with the public key), with 0600 permissions, atomically: two servers started at once
end up with the same key. Servers of one deployment share the key by being given the same
file (a mounted secret) or the same environment secret.

The database keeps only the public key, in ``SessionConvened``. A server whose key is not the
session's — a database restored without its key file, or a key file replaced — signs nothing
for that session and records nothing that would need signing (problem ``signer_unavailable``):
it never makes a new key for an old session.
"""

from __future__ import annotations

import os
import secrets
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from crypto.signing import SigningKey
from events.database import state_dir

KEY_ENV: Final = "BALLOT_CHECKPOINT_KEY"
KEY_FILE_ENV: Final = "BALLOT_CHECKPOINT_KEY_FILE"
_SEED_HEX_DIGITS: Final = 64


class CheckpointKeyError(Exception):
    """The checkpoint key cannot be loaded (unreadable, malformed, or readable by others)."""

    code = "checkpoint_key_unusable"


@dataclass(frozen=True, slots=True)
class LoadedKey:
    """A checkpoint key and where it came from (``created``: made just now)."""

    key: SigningKey
    source: str
    created: bool = False


def key_file() -> Path:
    """Where the key file is: ``BALLOT_CHECKPOINT_KEY_FILE`` or ``<state>/checkpoint.key``."""
    configured = os.environ.get(KEY_FILE_ENV)
    return Path(configured).resolve() if configured else state_dir() / "checkpoint.key"


def _seed(text: str, source: str) -> bytes:
    cleaned = text.strip()
    if len(cleaned) != _SEED_HEX_DIGITS:
        raise CheckpointKeyError(f"{source}: a checkpoint key is {_SEED_HEX_DIGITS} hex digits")
    try:
        return bytes.fromhex(cleaned)
    except ValueError:
        raise CheckpointKeyError(f"{source}: a checkpoint key is hex digits") from None


def read_key_file(path: Path) -> SigningKey:
    """The key in ``path``; refused if group or others may read or write it."""
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise CheckpointKeyError(
                f"{path}: permissions {stat.S_IMODE(mode):04o} are too open for a private key "
                "(chmod 600)"
            )
        text = path.read_text("ascii")
    except OSError as exc:
        raise CheckpointKeyError(f"{path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CheckpointKeyError(f"{path}: a checkpoint key is hex digits") from None
    return SigningKey.from_seed(_seed(text, str(path)))


def create_key_file(path: Path) -> bool:
    """Make a new key file at ``path`` (0600) unless one exists; whether this call made it.

    Written to a private temporary file first and then linked into place, so a reader never
    sees a half-written key, and of two processes racing exactly one key survives.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    # Unique per call (threads of one process share a pid), private from its first byte.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(SigningKey.generate().encode().hex() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def load_checkpoint_key(*, create: bool) -> LoadedKey:
    """The configured checkpoint key: the environment secret, else the key file (made first
    if ``create`` and it is missing). Raises :class:`CheckpointKeyError`."""
    secret = os.environ.get(KEY_ENV)
    if secret:
        return LoadedKey(SigningKey.from_seed(_seed(secret, KEY_ENV)), KEY_ENV)
    path = key_file()
    created = False
    if create and not path.exists():
        created = create_key_file(path)
    return LoadedKey(read_key_file(path), str(path), created)


def announce(loaded: LoadedKey) -> None:
    """Say on standard error that a new key was made (never the key, only its public half):
    sessions convened under an earlier key cannot be signed with this one."""
    if loaded.created:
        public = loaded.key.public_key().encode().hex()
        print(
            f"ballot: made a new checkpoint key in {loaded.source} (public key {public}); "
            "keep the file safe and give every server of this deployment the same one",
            file=sys.stderr,
        )
