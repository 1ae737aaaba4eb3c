"""Benchmarks behind ``ballot bench <target>``.

Each target is a module here exposing ``add_arguments(parser)`` and ``run(args) -> int``; it
prints a table, or exactly one JSON object with ``--json``. Tests check correctness;
these report numbers.
"""

TARGETS: dict[str, str] = {
    "store": "ballot.bench.store",
    "crypto": "ballot.bench.crypto",
    "cast": "ballot.bench.cast",
    "audit": "ballot.bench.audit",
    "tamper": "ballot.bench.tamper",
    "browser-audit": "ballot.bench.browser_audit",
}
