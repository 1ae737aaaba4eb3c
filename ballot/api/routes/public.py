"""Public routes: sessions, roll, board, rounds, turnout, aggregates, the log and its
checkpoints, receipts, problem types and the live feed. No token needed; no vote in them.
"""

from __future__ import annotations

from aiohttp import web

from ballot import queries
from ballot.api import models as m
from ballot.api.context import accepted, context
from ballot.api.problems import Problem, all_problem_types
from ballot.api.routes.common import (
    ANYONE,
    checkpoint_reply,
    command,
    position_parameter,
    round_definition,
    round_number,
    round_of,
    signed_checkpoints,
)
from ballot.api.routing import Call, Empty, RouteTable
from ballot.audit.receipts import normalize_code
from ballot.domain import (
    CosignCheckpoint,
    final_outcome,
    results_board,
    roll,
    session_view,
    turnout,
)
from ballot.domain.values import b64decode, b64encode
from ballot.ledger import consistency_proof
from events.exchange import record_to_line

routes = RouteTable("public")


@routes.endpoint(
    "GET",
    "/api/v1/sessions",
    summary="List sessions",
    roles=ANYONE,
    response=m.SessionList,
)
async def list_sessions(call: Call[Empty]) -> m.SessionList:
    ctx = context(call.request)
    summaries = []
    for session_id in await ctx.store.logs():
        service = await ctx.hub.service(session_id)
        if service is None or service.state.phase == "new":
            continue
        state = service.state
        summaries.append(
            m.SessionSummary(
                session_id=session_id,
                title=state.title,
                phase=state.phase,
                rounds=len(state.rounds),
            )
        )
    return m.SessionList(sessions=summaries)


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}",
    summary="A session: settings, candidates, tellers, rounds",
    roles=ANYONE,
    response=m.SessionInfo,
)
async def get_session(call: Call[Empty]) -> m.SessionInfo:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    key = service.state.checkpoint_key
    return m.SessionInfo(
        session=session_view(service.state),
        position=service.position,
        checkpoint_key=b64encode(key) if key else None,
    )


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/roll",
    summary="The roll of member states",
    roles=ANYONE,
    response=m.Roll,
)
async def get_roll(call: Call[Empty]) -> m.Roll:
    service = await context(call.request).session(call.path("sid"))
    return m.Roll(members=list(roll(service.state)))


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/board",
    summary="The results board",
    roles=ANYONE,
    response=m.Board,
)
async def get_board(call: Call[Empty]) -> m.Board:
    service = await context(call.request).session(call.path("sid"))
    state = service.state
    return m.Board(
        session_id=state.session_id,
        title=state.title,
        rounds=list(results_board(state)),
        outcome=final_outcome(state),
    )


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}",
    summary="A round's definition (options, key)",
    roles=ANYONE,
    response=m.RoundDefinition,
)
async def get_round(call: Call[Empty]) -> m.RoundDefinition:
    service = await context(call.request).session(call.path("sid"))
    return round_definition(service.session_id, round_of(service, round_number(call)))


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}/turnout",
    summary="Who deposited a ballot (never what)",
    roles=ANYONE,
    response=m.TurnoutReply,
)
async def get_turnout(call: Call[Empty]) -> m.TurnoutReply:
    service = await context(call.request).session(call.path("sid"))
    number = round_number(call)
    round_of(service, number)
    return m.TurnoutReply(turnout=turnout(service.state, number))


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/rounds/{n}/aggregate",
    summary="The committed ballot set and aggregate of a closed round",
    roles=ANYONE,
    response=m.Aggregate,
    problems=["round_not_closed"],
)
async def get_aggregate(call: Call[Empty]) -> m.Aggregate:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    number = round_number(call)
    r = round_of(service, number)
    if r.status == "open" or r.ballots_root is None:
        raise Problem("round_not_closed", f"round {number} is not closed")
    position = await queries.closed_at_position(ctx.store, service.session_id, number)
    return m.Aggregate(
        round_number=number,
        ballot_count=r.ballot_count,
        ballots_root=b64encode(r.ballots_root),
        aggregate=[
            {"alpha": b64encode(c.alpha.encode()), "beta": b64encode(c.beta.encode())}
            for c in r.aggregate.value()
        ],
        position=position,
    )


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/events",
    summary="The event log as JSON Lines (resumable)",
    roles=ANYONE,
    content_type="application/jsonl",
    query=[("after", "position")],
)
async def export_events(call: Call[Empty]) -> web.StreamResponse:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    after = position_parameter(call.request.query.get("after"), "after")
    response = web.StreamResponse(headers={"Content-Type": "application/jsonl; charset=utf-8"})
    await response.prepare(call.request)
    chunk: list[bytes] = []
    async for record in ctx.store.read_log(service.session_id, after):
        chunk.append(record_to_line(record))
        if len(chunk) >= 500:
            await response.write(b"".join(chunk))
            chunk = []
    if chunk:
        await response.write(b"".join(chunk))
    await response.write_eof()
    return response


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/checkpoints",
    summary="Signed checkpoints of the log",
    roles=ANYONE,
    response=m.Checkpoints,
)
async def get_checkpoints(call: Call[Empty]) -> m.Checkpoints:
    ctx = context(call.request)
    return await signed_checkpoints(ctx, await ctx.session(call.path("sid")))


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/checkpoints/consistency",
    summary="RFC 9162 consistency proof between two checkpointed positions",
    roles=ANYONE,
    response=m.Consistency,
    query=[("old", "position!"), ("new", "position!")],
)
async def get_consistency(call: Call[Empty]) -> m.Consistency:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    old = position_parameter(call.request.query.get("old"), "old")
    new = position_parameter(call.request.query.get("new"), "new")
    if not 1 <= old <= new <= service.position:
        # Well-formed, but no such pair of tree sizes in this log (1 <= old <= new <= head).
        raise Problem("not_found", f"no consistency proof from {old} to {new} in this log")
    # Read, not kept: a witness asks once per checkpoint, and the hashes are the log's.
    hashes = [r.hash async for r in ctx.store.read_log(service.session_id, 0) if r.position <= new]
    proof = consistency_proof(hashes, old, new)
    return m.Consistency(old=old, new=new, proof=[p.hex() for p in proof])


@routes.endpoint(
    "POST",
    "/api/v1/sessions/{sid}/checkpoints/{position}/cosignatures",
    summary="Cosign a checkpoint (a witness or a teller; the signature is the credential)",
    roles=ANYONE,
    request=m.CosignatureRequest,
    response=m.Accepted,
    status=201,
    problems=["unknown_witness", "invalid_checkpoint", "invalid_cosignature", "already_cosigned"],
)
async def cosign_checkpoint(call: Call[m.CosignatureRequest]) -> m.Accepted:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    text = call.path("position")
    if not text.isdecimal() or len(text) > 16:
        raise Problem("not_found", f"no checkpoint at {text!r}")
    position = int(text)
    try:
        signature = b64decode(call.body.signature)
    except ValueError:
        raise Problem("invalid_cosignature", "the signature is not base64url") from None
    outcome = await ctx.run(
        service,
        command(
            CosignCheckpoint,
            witness_id=call.body.witness_id,
            position=position,
            signature=signature,
        ),
        call.principal,
    )
    return m.Accepted(**accepted(outcome))


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/challenges/{code}",
    summary="A spoiled (challenged) ballot by its tracking code, to re-check on any device",
    roles=ANYONE,
    response=m.ChallengeRecord,
)
async def get_challenge(call: Call[Empty]) -> m.ChallengeRecord:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    code = normalize_code(call.path("code"))
    record = await queries.challenge_by_code(ctx.store, service.session_id, code)
    if record is None:
        raise Problem("not_found", "no challenged ballot with this tracking code")
    payload = record.payload()
    return m.ChallengeRecord(
        tracking_code=code,
        round_number=payload["round_number"],
        delegation_id=payload["delegation_id"],
        option=payload["option"],
        position=record.position,
        record=record_to_line(record).decode().removesuffix("\n"),
    )


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/receipts/{code}",
    summary="Find a tracking code on the bulletin board, with its inclusion proof",
    roles=ANYONE,
    response=m.ReceiptProof,
)
async def get_receipt(call: Call[Empty]) -> m.ReceiptProof:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    # The session's log index answers from memory; it reads the log only past what it has
    # indexed (the first time, or when the code or its checkpoint may have just arrived).
    index = ctx.hub.log_index(service.session_id)
    found = await index.find(call.path("code"))
    if found is None:
        raise Problem("not_found", "no ballot with this tracking code in this session")
    cast = found.cast
    stored = await queries.ballot_of(
        ctx.store, service.session_id, cast.round_number, cast.delegation_id
    )
    if stored is None or stored.record.position != cast.position:
        raise Problem("not_found", "the ballot with this tracking code is not in the log")
    record = stored.record
    if service.position < index.position:
        await service.catch_up()  # the round's status may have moved with what was indexed
    r = round_of(service, cast.round_number)
    counted = queries.counted(r, cast.delegation_id)
    ballot_set: m.BallotSetProof | None = None
    if counted:
        in_set = await index.ballot_set(cast, r.voters)
        if in_set is not None:
            ballot_set = m.BallotSetProof(
                record=record_to_line(in_set.closed).decode().removesuffix("\n"),
                position=in_set.closed.position,
                checkpoint=checkpoint_reply(in_set.covering),
                inclusion_proof=[p.hex() for p in in_set.proof],
                leaf_index=in_set.leaf_index,
                ballot_proof=[p.hex() for p in in_set.ballot_proof],
            )
    covering = found.covering
    key = service.state.checkpoint_key
    return m.ReceiptProof(
        tracking_code=cast.tracking_code,
        round_number=cast.round_number,
        delegation_id=cast.delegation_id,
        position=cast.position,
        counted=counted,
        checkpoint=None if covering is None else checkpoint_reply(covering),
        inclusion_proof=[p.hex() for p in found.proof],
        record=record_to_line(record).decode().removesuffix("\n"),
        checkpoint_key=b64encode(key) if key else None,
        ballot_set=ballot_set,
    )


@routes.endpoint(
    "GET",
    "/api/v1/problems",
    summary="Every problem type",
    roles=ANYONE,
    response=m.ProblemTypes,
)
async def list_problems(call: Call[Empty]) -> m.ProblemTypes:
    return m.ProblemTypes(
        {code: m.ProblemType(**kind) for code, kind in all_problem_types().items()}
    )


@routes.endpoint(
    "GET",
    "/api/v1/problems/{code}",
    summary="One problem type",
    roles=ANYONE,
    response=m.ProblemTypeDocument,
    problems=["not_found"],
)
async def get_problem(call: Call[Empty]) -> m.ProblemTypeDocument:
    listing = all_problem_types()
    code = call.path("code")
    if code not in listing:
        raise Problem("not_found", f"no problem type {code!r}")
    return m.ProblemTypeDocument(type=f"/api/v1/problems/{code}", code=code, **listing[code])


@routes.endpoint(
    "GET",
    "/api/v1/sessions/{sid}/feed",
    summary="Live feed (Server-Sent Events, aggregate only)",
    roles=ANYONE,
    content_type="text/event-stream",
    query=[("after", "position")],
)
async def feed(call: Call[Empty]) -> web.StreamResponse:
    ctx = context(call.request)
    service = await ctx.session(call.path("sid"))
    last = call.request.headers.get("Last-Event-ID") or call.request.query.get("after")
    after = position_parameter(
        last, "Last-Event-ID" if "Last-Event-ID" in call.request.headers else "after"
    )
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(call.request)
    await response.write(b"retry: 2000\n\n")
    async for position, text in ctx.hub.feed(service.session_id, after):
        await response.write(f"id: {position}\nevent: update\ndata: {text}\n\n".encode())
    return response
