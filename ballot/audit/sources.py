"""Where an export comes from: a file (or stdin), or a live server's public endpoint.

Both yield the export's lines as bytes, each with its ``\\n``, without holding the log.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import BinaryIO, Final
from urllib.parse import quote

import aiohttp

from ballot.audit.engine import UnusableInput

#: A line longer than this is not an event (a ballot line is a few kilobytes).
MAX_LINE_BYTES: Final[int] = 64 * 1024 * 1024
_TOO_LONG: Final[bytes] = b"<line longer than the limit>\n"


def _lines(stream: BinaryIO) -> Iterator[bytes]:
    while True:
        line = stream.readline(MAX_LINE_BYTES)
        if not line:
            return
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            while True:  # skip the rest of the monster line; report it as one bad line
                rest = stream.readline(MAX_LINE_BYTES)
                if not rest or rest.endswith(b"\n"):
                    break
            line = _TOO_LONG
        yield line


def file_lines(path: str | Path) -> Iterator[bytes]:
    """The lines of an exported log file (``-``: standard input)."""
    if str(path) == "-":
        yield from _lines(sys.stdin.buffer)
        return
    try:
        stream = Path(path).open("rb")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UnusableInput(f"cannot read {path}: {exc.strerror or exc}") from None
    with stream:
        try:
            yield from _lines(stream)
        except OSError as exc:
            raise UnusableInput(f"cannot read {path}: {exc.strerror or exc}") from None


def events_url(server: str, session_id: str) -> str:
    """``{server}/api/v1/sessions/{id}/events``."""
    return f"{server.rstrip('/')}/api/v1/sessions/{quote(session_id, safe='')}/events"


async def server_lines(
    server: str,
    session_id: str,
    *,
    read_timeout: float = 60.0,
    retries: int = 3,
    session: aiohttp.ClientSession | None = None,
) -> AsyncIterator[bytes]:
    """Stream ``GET {server}/api/v1/sessions/{id}/events`` line by line.

    A connection lost mid-stream is resumed with ``?after=N`` (N: lines received whole), up to
    ``retries`` times; ``read_timeout`` bounds each wait for data. A missing session, an error status or an unreachable server is
    :class:`UnusableInput`.
    """
    url = events_url(server, session_id)
    own = session is None
    client = (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None, sock_read=read_timeout))
        if session is None
        else session
    )
    received = 0
    attempt = 0
    try:
        while True:
            params = {"after": str(received)} if received else None
            try:
                async with client.get(url, params=params) as response:
                    if response.status == 404:
                        raise UnusableInput(f"{url}: no such session (404)")
                    if response.status != 200:
                        raise UnusableInput(f"{url}: HTTP {response.status} {response.reason}")
                    pending = b""
                    async for chunk in response.content.iter_chunked(1 << 16):
                        pending += chunk
                        *complete, pending = pending.split(b"\n")
                        for line in complete:
                            received += 1
                            yield line + b"\n"
                        if len(pending) > MAX_LINE_BYTES:
                            received += 1
                            yield _TOO_LONG
                            pending = b""
                    if pending:
                        received += 1
                        yield pending  # a last line without its newline: reported as such
                    return
            except (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError) as exc:
                attempt += 1
                if attempt > retries:
                    raise UnusableInput(f"{url}: connection lost: {exc}") from None
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise UnusableInput(f"{url}: {exc}") from None
    finally:
        if own:
            await client.close()
