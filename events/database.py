"""Where the database comes from: ``BALLOT_DATABASE_URL``, or an embedded PostgreSQL.

With no URL configured, an embedded PostgreSQL (``pgserver``) runs from the state folder
(``BALLOT_STATE_DIR``, default ``./.ballot``), data in ``<state>/pgdata``. It is reused across
runs and stopped when the last process using it exits. It listens only on a Unix socket.

Least privilege there too: the superuser connection (:attr:`Database.dsn`) only migrates;
the server serves as the application role :data:`~events.roles.APP_ROLE`
(:attr:`Database.serving_dsn`), which this process creates, able to log in, on the cluster it
owns (:attr:`Database.app_role`). A configured URL is used as it is, for both.

Running as root: PostgreSQL refuses to run as root, so ``pgserver`` creates an unprivileged
system user ``pgserver`` and runs the server as that user (the data folder is handed to it).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from events.roles import APP_ROLE, with_user


def schema_name() -> str:
    """The PostgreSQL schema holding the log (``BALLOT_SCHEMA``, default ``ballot``)."""
    return os.environ.get("BALLOT_SCHEMA", "ballot")


def state_dir() -> Path:
    """The state folder: ``BALLOT_STATE_DIR`` or ``./.ballot``."""
    return Path(os.environ.get("BALLOT_STATE_DIR") or ".ballot").resolve()


@dataclass
class Database:
    """A PostgreSQL location; ``server`` is set when this process started it embedded.

    ``dsn`` migrates (the schema's owner). ``app_role``, set for the embedded server, is the
    role this process must make able to log in and then serve as; with none, ``dsn`` (a
    configured URL: whoever set it chose its role) also serves.
    """

    dsn: str
    server: Any | None = None
    app_role: str | None = None

    @property
    def serving_dsn(self) -> str:
        """The DSN the server's store connects with."""
        return self.dsn if self.app_role is None else with_user(self.dsn, self.app_role)

    def close(self) -> None:
        """Release this process's handle on an embedded server (stops it if it was the last)."""
        if self.server is not None:
            self.server.cleanup()
            self.server = None


def start_embedded(data_dir: Path) -> Database:
    """Start (or attach to) the embedded PostgreSQL whose data lives in ``data_dir``."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back
        # to /tmp, which is what we want anyway.
        warnings.simplefilter("ignore", UserWarning)
        from pgserver.postgres_server import get_server  # lazily: only the embedded path needs it

    data_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        server = get_server(data_dir, cleanup_mode="stop")
    return Database(dsn=server.get_uri(), server=server, app_role=APP_ROLE)


def open_database(url: str | None = None) -> Database:
    """The configured database: ``url``, else ``BALLOT_DATABASE_URL``, else embedded."""
    url = url or os.environ.get("BALLOT_DATABASE_URL")
    if url:
        return Database(dsn=url)
    return start_embedded(state_dir() / "pgdata")
