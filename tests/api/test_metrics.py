"""``/metrics`` after a rehearsal: parsed by prometheus-client, its counters equal the log's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ballot.api.metrics import Metrics
from ballot.client import ApiProblem
from tests.api.conftest import Api
from tests.api.flows import setup_session


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_the_metrics_count_what_the_log_holds(api: Api) -> None:
    session = await setup_session(api, 5, ("A", "B"), settings={"min_tally": 1})
    await session.sec.open_round()
    members = sorted(session.delegations)
    await session.vote(1, dict.fromkeys(members[:4], "A"))
    first = session.delegations[members[0]]
    again = await first.ballot_for(1, "B")
    with pytest.raises(ApiProblem) as refused:
        await first.cast(again)  # a second, different ballot
    assert refused.value.code == "already_voted"
    ballot = await session.delegations[members[4]].ballot_for(1, "B")
    await session.delegations[members[4]].cast(ballot)
    await session.delegations[members[4]].cast(ballot)  # identical re-send: not a new ballot

    response = await api.client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    text = await response.text()
    samples = _samples(text)
    lines = [line async for line in session.sec.event_lines()]
    cast_in_log = sum(b'"event_type":"BallotCast"' in line for line in lines)
    assert cast_in_log == 5
    assert samples[("ballot_ballots_accepted_total", ())] == cast_in_log
    assert samples[("ballot_ballots_refused_total", (("code", "already_voted"),))] == 1
    route = "/api/v1/sessions/{sid}/rounds/{n}/ballots"
    assert samples[("ballot_cast_seconds_count", ())] == 7  # every cast answered, timed
    created = (("method", "POST"), ("route", route), ("status", "201"))
    assert samples[("ballot_http_requests_total", created)] == 6
    head = (await api.store.head(session.session_id)).position
    assert samples[("ballot_log_head_position", (("session", session.session_id),))] == head
    assert samples[("ballot_database_up", ())] == 1
    assert ("ballot_feed_subscribers", ()) in samples
    assert ("ballot_cast_check_queue", ()) in samples
    for secret in [session.sec.token, first.client.token]:
        assert secret and secret not in text  # no token ever in a label


async def test_the_store_histograms_count_every_group_the_store_committed(api: Api) -> None:
    heard: list[tuple[float, int]] = []  # what the store tells an observer of its own
    api.store.observe_appends(lambda seconds, events: heard.append((seconds, events)))
    session = await setup_session(api, 8, ("A", "B"), settings={"min_tally": 1})
    await session.sec.open_round()
    # Concurrent casts: the store may gather several into one group.
    await session.vote(1, dict.fromkeys(sorted(session.delegations), "A"))
    again = session.delegations["M001"]
    with pytest.raises(ApiProblem):
        await again.cast(await again.ballot_for(1, "B"))  # refused: nothing written

    text = await (await api.client.get("/metrics")).text()
    families = {family.name: family for family in text_string_to_metric_families(text)}
    observed = list(heard)
    head = (await api.store.head(session.session_id)).position
    assert sum(events for _, events in observed) == head  # every event, in exactly one group
    for name, values in (
        ("ballot_store_append_seconds", [seconds for seconds, _ in observed]),
        ("ballot_store_append_group_events", [float(events) for _, events in observed]),
    ):
        samples = {
            (sample.name, sample.labels.get("le")): sample.value
            for sample in families[name].samples
        }
        assert samples[(f"{name}_count", None)] == len(observed)
        assert samples[(f"{name}_sum", None)] == pytest.approx(sum(values))
        buckets = {
            le: count
            for (key, le), count in samples.items()
            if key == f"{name}_bucket" and le is not None
        }
        assert buckets["+Inf"] == len(observed)
        for le, count in buckets.items():
            assert count == sum(value <= float(le) for value in values), (name, le)


def test_the_dashboard_and_alerts_name_only_exported_metrics() -> None:
    # What the server exports (its registry, without any traffic) is what the dashboard and
    # the alert rules may use.
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    exported = {
        family.name + suffix
        for family in Metrics().registry.collect()
        for suffix in suffixes.get(family.type, ("",))
    } | {
        "ballot_cast_check_queue",
        "ballot_feed_subscribers",
        "ballot_log_head_position",
        "ballot_database_up",
    }  # read at scrape time, from a running server's context
    root = Path(__file__).resolve().parents[2] / "deploy"
    for name in ("grafana-dashboard.json", "alerts.md"):
        used = set(re.findall(r"\bballot_[a-z_]+", (root / name).read_text()))
        assert used and used <= exported, (name, used - exported)
