"""Witnessed checkpoints (real PostgreSQL): a witness admitted by the secretariat follows the
session from outside the server, checks each checkpoint extends the last it cosigned, and
cosigns it; the board's reply names who cosigned; the audit fails checkpoints not witnessed as
the settings require; and once the database owner rewrites the log the witness raises an alarm
and its kept checkpoint exposes the rewrite to ``ballot audit``."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from ballot.audit import AuditOptions, audit_lines
from ballot.audit.cli import main as audit_main
from ballot.client import ApiProblem
from ballot.domain.values import b64encode
from ballot.simulation.owner import TAMPERS
from ballot.witness import Witness, WitnessAlarm, WitnessState
from crypto.signing import SigningKey
from events.exchange import record_to_line
from tests.api.conftest import Api
from tests.api.flows import client_of, setup_session
from tests.api.test_owner_tamper import OWNER_KEY, exported, rewrite_log

WITNESS_KEY = SigningKey.from_seed(b"witness-key".ljust(32, b"."))


async def test_a_witness_cosigns_and_catches_a_rewritten_log(
    api: Api, pg_dsn: str, pg_schema: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session = await setup_session(api, 6, settings={"witnesses_required": 1})
    await session.sec.admit_witness(
        "W1", "Observer mission", b64encode(WITNESS_KEY.public_key().encode())
    )
    witness = Witness(
        client_of(api).for_session("council"), "W1", WITNESS_KEY, WitnessState("council")
    )
    await session.sec.open_round()
    await session.vote(1, {f"M00{i}": "A" for i in range(1, 6)})
    await session.sec.close_round(1)
    first = await witness.step()
    assert len(first) == 1
    for teller in session.tellers:
        await teller.decrypt(1)
    assert len(await witness.step()) >= 1  # the tally's checkpoint, consistent with the close
    assert await witness.step() == []  # nothing new: nothing cosigned twice
    published = (await session.sec.checkpoints())["checkpoints"]
    assert all(c["cosigned_by"] == ["W1"] for c in published)

    lines = [record_to_line(r) for r in await exported(session)]
    clean = audit_lines(lines, AuditOptions(workers=0, allow_incomplete=True))
    assert clean.verified, [f.describe() for f in clean.failures]
    state_file = tmp_path / "W1.witness.json"
    witness.state.save(state_file)

    # The owner deletes a ballot, re-chains and re-seals the log with a key of their own.
    tampered = TAMPERS["delete_middle_resealed"](
        await exported(session), random.Random(1), OWNER_KEY
    )
    await rewrite_log(pg_dsn, pg_schema, "council", tampered)
    fresh = Witness(client_of(api).for_session("council"), "W1", WITNESS_KEY, witness.state)
    with pytest.raises(WitnessAlarm, match=r"key changed|does not extend|two logs|was cut"):
        await fresh.step()
    with pytest.raises(WitnessAlarm):  # and it stays refused
        await fresh.step()

    # The checkpoint the witness kept exposes the rewrite to the audit.
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"".join(record_to_line(r) for r in tampered))
    capsys.readouterr()
    status = audit_main(
        [
            str(log),
            "--checkpoint",
            f"@{state_file}",
            "--allow-incomplete",
            "--workers",
            "0",
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert status == 1
    assert {"checkpoint.key", "checkpoint.consistency"} & set(report["failed_checks"])


async def test_cosignatures_are_checked_by_the_server(api: Api) -> None:
    session = await setup_session(api, 5, settings={"witnesses_required": 1})
    await session.sec.admit_witness("W1", "Observer", b64encode(WITNESS_KEY.public_key().encode()))
    await session.sec.open_round()
    await session.vote(1, {f"M00{i}": "A" for i in range(1, 6)})
    await session.sec.close_round(1)
    position = (await session.sec.checkpoints())["checkpoints"][0]["position"]
    anonymous = client_of(api).for_session("council")
    with pytest.raises(ApiProblem) as forged:
        await anonymous.cosign(position, "W1", b64encode(bytes(64)))
    assert (forged.value.status, forged.value.code) == (422, "invalid_cosignature")
    with pytest.raises(ApiProblem) as unknown:
        await anonymous.cosign(position, "W9", b64encode(bytes(64)))
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_witness")
    proof = await anonymous.consistency(1, position)
    assert proof["old"] == 1 and proof["new"] == position
    with pytest.raises(ApiProblem) as backwards:
        await anonymous.consistency(position, 1)
    assert backwards.value.code == "not_found"

    # Nobody cosigned: the audit fails the checkpoints the settings want witnessed (the last
    # one, while the session is in progress, only warns).
    for teller in session.tellers:
        await teller.decrypt(1)
    lines = [record_to_line(r) for r in await exported(session)]
    report = audit_lines(lines, AuditOptions(workers=0, allow_incomplete=True))
    assert report.failed_checks == ("checkpoint.unwitnessed",)
    assert [w.check for w in report.warnings].count("checkpoint.unwitnessed") == 1
