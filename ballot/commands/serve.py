"""``ballot serve [--host 127.0.0.1] [--port 8080] [--access-log] [--log-format text|json]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from ballot.api.observability import configure_logging
from ballot.server import serve


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot serve``."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    parser.add_argument("--port", type=int, default=8080, help="TCP port")
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="log every HTTP request (off by default: the event log is the record of what "
        "happened, and a line per request costs a live session's casts about 5%% of a core)",
    )
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines as readable text or as one JSON object each (request id, route, status)",
    )


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    configure_logging(args.log_format)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port, access_log=args.access_log))
    return 0
