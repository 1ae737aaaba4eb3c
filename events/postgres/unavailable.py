"""Whether an exception means "the database cannot be reached right now".

A caller that can say so answers *retry later* (HTTP 503) instead of *the server failed*: a
refused or dropped connection, a server shutting down or starting up, a pool that timed out
waiting for a connection. Exceptions are followed through ``__cause__``/``__context__``,
since the group-commit writer hands its failures to every waiting caller wrapped.
"""

from __future__ import annotations

import asyncpg

#: PostgreSQL's own "cannot serve you now" errors (SQLSTATE class 57 and 08).
_SERVER_SIDE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.CannotConnectNowError,  # 57P03: the server is starting up
    asyncpg.AdminShutdownError,  # 57P01: the server is shutting down
    asyncpg.CrashShutdownError,  # 57P02
)
#: The client side of a connection that is gone or never came.
_CLIENT_SIDE: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, unreachable (ConnectionError is one)
    TimeoutError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InterfaceError,  # "connection is closed", "pool is closing"
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says the database is unreachable."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _SERVER_SIDE + _CLIENT_SIDE):
            return True
        current = current.__cause__ or current.__context__
    return False
