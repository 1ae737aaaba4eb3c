"""``ballot bench crypto``: the cost of the crypto core.

Measures one scalar multiplication, encrypt+prove and verify of a ballot with 2, 3 and 5
options (milliseconds and scalar-multiplication equivalents), the aggregate of many ballots,
and a 2-of-3 threshold decryption. With ``--json`` prints one object::

    {"scalar_mult_us": …, "base_mult_us": …, "point_add_us": …,
     "encrypt_ms": {"2": …, "3": …, "5": …}, "verify_ms": {…}, "verify_mult_equiv": {…},
     "encrypt_mult_equiv": {…}, "aggregate_10000_ms": …, "decrypt_2of3_ms": …, …}

If ``scripts/bench_node.mjs`` exists, it is run with ``node`` and its figures are added as
``node_encrypt_ms`` (the browser implementation's encrypt+prove cost).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from crypto.ballot import BallotContext, aggregate, encrypt_ballot, verify_ballot
from crypto.group import Point, Scalar, seeded_scalars
from crypto.tally import TallyContext, combine, compute_share, small_discrete_log, verify_share

OPTION_COUNTS = (2, 3, 5)
NODE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "bench_node.mjs"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``ballot bench crypto`` (``--json`` is added by the CLI)."""
    parser.add_argument(
        "--repeat", type=int, default=30, help="timed runs per measurement (median reported)"
    )
    parser.add_argument(
        "--ballots", type=int, default=10_000, help="ballots in the aggregate measurement"
    )
    parser.add_argument(
        "--no-node", action="store_true", help="skip scripts/bench_node.mjs even if present"
    )


def _median_seconds(fn: Callable[[], object], repeat: int, inner: int = 1) -> float:
    """Median over ``repeat`` runs of the time of ``inner`` calls, divided by ``inner``."""
    fn()  # warm-up (caches, imports)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - start) / inner)
    return statistics.median(samples)


def _shamir(secret: Scalar, k: int, n: int, rng: Callable[[], Scalar]) -> list[Scalar]:
    coefficients = [secret] + [rng() for _ in range(k - 1)]
    shares = []
    for i in range(1, n + 1):
        acc = Scalar.zero()
        for c in reversed(coefficients):
            acc = acc * Scalar.from_int(i) + c
        shares.append(acc)
    return shares


def _node_figures() -> Any | None:
    if not NODE_SCRIPT.is_file() or shutil.which("node") is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603 - fixed program and script path, no shell
            ["node", str(NODE_SCRIPT)],  # noqa: S607 - node from PATH, as `make` uses it
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
            cwd=NODE_SCRIPT.parents[1],
        )
        figures = json.loads(result.stdout)
    except (subprocess.SubprocessError, OSError, json.JSONDecodeError) as exc:
        print(f"bench crypto: {NODE_SCRIPT.name} failed: {exc}", file=sys.stderr)
        return None
    if isinstance(figures, dict) and "node_encrypt_ms" in figures:
        # scripts/bench_node.mjs reports its own node_* keys (encrypt, verify, version).
        return {k: v for k, v in figures.items() if k.startswith("node_")}
    if isinstance(figures, dict) and "encrypt_ms" in figures:
        return figures["encrypt_ms"]
    return figures


def measure(repeat: int, n_ballots: int, run_node: bool = True) -> dict[str, Any]:
    """All figures, as the ``--json`` object."""
    rng = seeded_scalars(b"ballot/bench/crypto")
    k = rng()
    key = Point.base_mul(k)
    s = rng()
    p = Point.base_mul(rng())
    q = Point.base_mul(rng())

    mult = _median_seconds(lambda: p * s, repeat, inner=50)
    base = _median_seconds(lambda: Point.base_mul(s), repeat, inner=50)
    add = _median_seconds(lambda: p + q, repeat, inner=50)

    encrypt_ms: dict[str, float] = {}
    verify_ms: dict[str, float] = {}
    for n in OPTION_COUNTS:
        ctx = BallotContext("bench", 1, key, "delegation", tuple(f"option {i}" for i in range(n)))
        ballot = encrypt_ballot(ctx, n - 1, rng)
        encrypt_ms[str(n)] = _median_seconds(partial(encrypt_ballot, ctx, 0, rng), repeat) * 1e3
        verify_ms[str(n)] = _median_seconds(partial(verify_ballot, ctx, ballot), repeat) * 1e3

    # The aggregate: 50 distinct 3-option ballots cycled to n_ballots (a point addition costs
    # the same whatever the points are; making 10 000 proofs would only time the prover).
    ctx3 = BallotContext("bench", 1, key, "delegation", ("a", "b", "blank"))
    distinct = [encrypt_ballot(ctx3, i % 3, rng) for i in range(50)]
    pool = list(itertools.islice(itertools.cycle(distinct), n_ballots))
    start = time.perf_counter()
    agg = aggregate(pool, 3)
    aggregate_ms = (time.perf_counter() - start) * 1e3

    # 2-of-3 decryption of that aggregate: two shares with proofs, their verification, and
    # the Lagrange combination with the discrete logarithm (table cold, then warm).
    shares = _shamir(k, 2, 3, rng)
    vks = [Point.base_mul(x) for x in shares]
    tctx = TallyContext("bench", 1, ("a", "b", "blank"))
    start = time.perf_counter()
    picked = [compute_share(tctx, agg, i, shares[i - 1], vks[i - 1], rng) for i in (1, 3)]
    share_ms = (time.perf_counter() - start) * 1e3 / 2
    start = time.perf_counter()
    for share in picked:
        verify_share(tctx, agg, share, vks[share.teller_index - 1])
    verify_share_ms = (time.perf_counter() - start) * 1e3 / 2
    start = time.perf_counter()
    counts = combine(agg, picked, max_count=n_ballots)
    combine_cold_ms = (time.perf_counter() - start) * 1e3
    combine_ms = _median_seconds(lambda: combine(agg, picked, max_count=n_ballots), 5) * 1e3
    expected = tuple(sum(1 for i in range(n_ballots) if i % 50 % 3 == j) for j in range(3))
    if counts != expected:  # pragma: no cover - a bench must not report figures for wrong maths
        raise AssertionError(f"decrypted {counts}, expected {expected}")
    small_discrete_log(Point.identity(), 100_000)  # warm the 100 000 table
    worst = Point.base_mul(Scalar.from_int(100_000))
    dlog_ms = _median_seconds(lambda: small_discrete_log(worst, 100_000), 5) * 1e3

    mult_ms = mult * 1e3
    figures: dict[str, Any] = {
        "scalar_mult_us": round(mult * 1e6, 2),
        "base_mult_us": round(base * 1e6, 2),
        "point_add_us": round(add * 1e6, 2),
        "encrypt_ms": {n: round(v, 3) for n, v in encrypt_ms.items()},
        "encrypt_mult_equiv": {n: round(v / mult_ms, 1) for n, v in encrypt_ms.items()},
        "verify_ms": {n: round(v, 3) for n, v in verify_ms.items()},
        "verify_mult_equiv": {n: round(v / mult_ms, 1) for n, v in verify_ms.items()},
        "verify_mults_counted": {str(n): 8 * n + 4 for n in OPTION_COUNTS},
        "aggregate_ballots": n_ballots,
        "aggregate_ms": round(aggregate_ms, 1),
        # Linear in the number of ballots; exact when --ballots is 10 000 (the default).
        "aggregate_10000_ms": round(aggregate_ms * 10_000 / n_ballots, 1),
        "share_ms": round(share_ms, 3),
        "verify_share_ms": round(verify_share_ms, 3),
        "combine_ms": round(combine_ms, 3),
        "combine_cold_ms": round(combine_cold_ms, 3),
        "decrypt_2of3_ms": round(2 * share_ms + 2 * verify_share_ms + combine_ms, 3),
        "dlog_100000_worst_ms": round(dlog_ms, 3),
    }
    if run_node:
        node = _node_figures()
        if isinstance(node, dict) and "node_encrypt_ms" in node:
            figures.update(node)
        elif node is not None:
            figures["node_encrypt_ms"] = node
    return figures


def _print_table(f: dict[str, Any]) -> None:
    n_ballots = f["aggregate_ballots"]
    rows: list[tuple[str, str]] = [
        ("scalar multiplication (variable base)", f"{f['scalar_mult_us']:.1f} µs"),
        ("scalar multiplication (fixed base G)", f"{f['base_mult_us']:.1f} µs"),
        ("point addition", f"{f['point_add_us']:.1f} µs"),
    ]
    for n in map(str, OPTION_COUNTS):
        rows.append(
            (
                f"encrypt + prove, {n} options",
                f"{f['encrypt_ms'][n]:.2f} ms  ({f['encrypt_mult_equiv'][n]:.1f} mult-eq)",
            )
        )
    for n in map(str, OPTION_COUNTS):
        rows.append(
            (
                f"verify, {n} options",
                f"{f['verify_ms'][n]:.2f} ms  ({f['verify_mult_equiv'][n]:.1f} mult-eq; "
                f"{f['verify_mults_counted'][n]} mults counted)",
            )
        )
    rows += [
        (f"aggregate of {n_ballots} ballots (3 options)", f"{f['aggregate_ms']} ms"),
        ("decryption share (3 options), per teller", f"{f['share_ms']:.2f} ms"),
        ("verify a decryption share", f"{f['verify_share_ms']:.2f} ms"),
        ("combine 2 shares + discrete log (warm)", f"{f['combine_ms']:.2f} ms"),
        ("combine 2 shares + discrete log (cold)", f"{f['combine_cold_ms']:.2f} ms"),
        ("decrypt, 2 of 3 tellers (2 shares, 2 checks, combine)", f"{f['decrypt_2of3_ms']} ms"),
        ("discrete log, worst case of 100 000", f"{f['dlog_100000_worst_ms']:.2f} ms"),
    ]
    if "node_encrypt_ms" in f:
        rows.append(("node encrypt + prove (ms)", json.dumps(f["node_encrypt_ms"])))
    if "node_verify_ms" in f:
        rows.append(("node verify (ms)", json.dumps(f["node_verify_ms"])))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


def run(args: argparse.Namespace) -> int:
    """Run the benchmark; print a table, or one JSON object with ``--json``."""
    repeat = max(1, int(getattr(args, "repeat", 30)))
    n_ballots = max(1, int(getattr(args, "ballots", 10_000)))
    figures = measure(repeat, n_ballots, run_node=not getattr(args, "no_node", False))
    if getattr(args, "json", False):
        print(json.dumps(figures))
    else:
        _print_table(figures)
    return 0
