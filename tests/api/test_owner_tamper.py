"""The database owner against a live server (real PostgreSQL): rewrites of the record made in
the database itself, with the append-only triggers disabled, are caught — by the server that
had seen the log (it stops: 503 ``log_rewound``) and by ``ballot audit`` given the receipts
the delegations were handed (the failing receipt named) — and a server whose key is not the
session's signs nothing.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import asyncpg
import pytest

from ballot.audit import AuditOptions, AuditReport, audit_lines
from ballot.client import ApiProblem
from ballot.domain.values import b64decode
from ballot.ledger import SignedReceipt
from ballot.simulation.owner import TAMPERS
from crypto.signing import SigningKey
from events import RecordedEvent
from events.canonical import parse_timestamp
from events.exchange import record_from_line, record_to_line
from tests.api.conftest import SECRETARIAT_TOKEN, Api, serving
from tests.api.flows import HttpSession, client_of, setup_session

OWNER_KEY = SigningKey.from_seed(b"k" * 32)


async def owner(dsn: str, schema: str, sql: str, *args: Any) -> None:
    """Run ``sql`` as the database owner with the append-only triggers off (one transaction)."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(f'SET LOCAL search_path TO "{schema}"')
            await conn.execute("SET LOCAL session_replication_role = replica")  # no triggers
            await conn.execute(sql, *args)
    finally:
        await conn.close()


async def rewrite_log(
    dsn: str, schema: str, session_id: str, records: Sequence[RecordedEvent]
) -> None:
    """Replace the session's whole log, streams and head with ``records``."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(f'SET LOCAL search_path TO "{schema}"')
            await conn.execute("SET LOCAL session_replication_role = replica")
            await conn.execute("DELETE FROM events WHERE log_id = $1", session_id)
            await conn.execute("DELETE FROM streams WHERE log_id = $1", session_id)
            await conn.executemany(
                "INSERT INTO events (log_id, position, stream_id, stream_version, event_id,"
                " event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash)"
                " VALUES ($1, $2, $3, $4, $5::uuid, $6, $7, $8::json, $9::json,"
                " $10, $11, $12)",
                [
                    (
                        r.log_id,
                        r.position,
                        r.stream_id,
                        r.stream_version,
                        r.event_id,
                        r.event_type,
                        r.schema_version,
                        r.payload_json,
                        r.metadata_json,
                        parse_timestamp(r.recorded_at),
                        r.prev_hash,
                        r.hash,
                    )
                    for r in records
                ],
            )
            versions: dict[str, int] = {}
            for r in records:
                versions[r.stream_id] = r.stream_version
            await conn.executemany(
                "INSERT INTO streams (log_id, stream_id, version) VALUES ($1, $2, $3)",
                [(session_id, stream, version) for stream, version in versions.items()],
            )
            await conn.execute(
                "UPDATE log_heads SET position = $2, head_hash = $3 WHERE log_id = $1",
                session_id,
                records[-1].position,
                records[-1].hash,
            )
    finally:
        await conn.close()


async def exported(session: HttpSession) -> list[RecordedEvent]:
    lines = [line async for line in session.sec.event_lines()]
    return [record_from_line(line, i) for i, line in enumerate(lines, start=1)]


def held_audit(records: Sequence[RecordedEvent], receipts: Sequence[dict[str, Any]]) -> AuditReport:
    """``ballot audit`` as lenient as it goes (a session in progress, the log's key trusted),
    given the receipts the cast responses were."""
    held = tuple(SignedReceipt.from_json(r) for r in receipts)
    options = AuditOptions(signed_receipts=held, allow_incomplete=True, workers=0)
    return audit_lines([record_to_line(r) for r in records], options)


async def test_the_issue_attack_cut_tail_and_rewound_head_is_caught(
    api: Api, pg_dsn: str, pg_schema: str
) -> None:
    session = await setup_session(api, 7)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "A" for i in range(1, 7)})
    key = b64decode((await session.sec.info())["checkpoint_key"])
    for receipt in receipts:  # each cast answered with a receipt signed by the session's key
        SignedReceipt.from_json(receipt).verify(key)
    assert held_audit(await exported(session), receipts).verified

    # The owner deletes the last two ballots and their streams, and sets the head back.
    last_two = sorted(r["position"] for r in receipts)[-2:]
    keep = last_two[0] - 1
    await owner(
        pg_dsn,
        pg_schema,
        "WITH cut AS (DELETE FROM events WHERE log_id = 'council' AND position > $1"
        " RETURNING stream_id) DELETE FROM streams WHERE log_id = 'council'"
        " AND stream_id IN (SELECT stream_id FROM cut)",
        keep,
    )
    await owner(
        pg_dsn,
        pg_schema,
        "UPDATE log_heads SET position = $1,"
        " head_hash = (SELECT hash FROM events WHERE log_id = 'council' AND position = $1)"
        " WHERE log_id = 'council'",
        keep,
    )

    # The server that had seen the ballots refuses to write on the shortened log, and then to
    # serve the session at all: it never serves the stale state silently.
    with pytest.raises(ApiProblem) as cast:
        await session.vote(1, {"M007": "B"})
    assert (cast.value.status, cast.value.code) == (503, "log_rewound")
    with pytest.raises(ApiProblem) as read:
        await session.sec.info()
    assert (read.value.status, read.value.code) == (503, "log_rewound")

    # A server started afresh cannot know — but the audit given the receipts does, and names
    # the two receipts whose ballots were cut.
    async with serving(pg_dsn, pg_schema) as fresh:
        other = HttpSession(client_of(fresh, SECRETARIAT_TOKEN).for_session("council"))
        records = await exported(other)
    assert len(records) == keep
    report = held_audit(records, receipts)
    assert not report.verified
    omitted = [f for f in report.failures if f.check == "receipt.omitted"]
    cut_codes = {r["tracking_code"] for r in receipts if r["position"] in last_two}
    assert {code for f in omitted for code in cut_codes if code in f.message} == cut_codes


@pytest.mark.parametrize(
    "name", ["delete_middle_resealed", "rewrite_field", "replace_key", "reorder"]
)
async def test_a_rechained_and_resealed_log_in_the_database_is_caught(
    api: Api, pg_dsn: str, pg_schema: str, name: str
) -> None:
    session = await setup_session(api, 6)
    await session.sec.open_round()
    receipts = await session.vote(1, {f"M00{i}": "A" for i in range(1, 6)})
    await session.sec.close_round(1)
    original = await exported(session)
    tampered = TAMPERS[name](original, random.Random(name), OWNER_KEY)
    await rewrite_log(pg_dsn, pg_schema, "council", tampered)
    async with serving(pg_dsn, pg_schema) as fresh:
        other = HttpSession(client_of(fresh, SECRETARIAT_TOKEN).for_session("council"))
        records = await exported(other)
    assert [r.hash for r in records] == [r.hash for r in tampered]  # what the owner wrote
    report = held_audit(records, receipts)
    assert not report.verified
    codes = {r["tracking_code"] for r in receipts}
    named = [f for f in report.failures if f.check.startswith("receipt.")]
    assert any(code in f.message for f in named for code in codes), report.failed_checks


async def test_a_server_without_the_sessions_key_signs_and_records_nothing(
    api: Api, pg_dsn: str, pg_schema: str
) -> None:
    """A database restored on a server whose key file is another (or new): refused, not
    re-keyed."""
    session = await setup_session(api, 4)
    async with serving(pg_dsn, pg_schema, signing_key=SigningKey.from_seed(b"n" * 32)) as other:
        sec = client_of(other, SECRETARIAT_TOKEN).for_session("council")
        with pytest.raises(ApiProblem) as info:
            await sec.open_round()
        assert (info.value.status, info.value.code) == (503, "signer_unavailable")
        assert (await sec.info())["position"] == (await session.sec.info())["position"]
