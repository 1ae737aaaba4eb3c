"""``/metrics``: what the server is doing, in Prometheus text format (prometheus-client).

Counted as it happens: HTTP requests by route template (never the raw path: bounded
cardinality) and status; each cast's latency; ballots accepted (one per ``BallotCast``
appended — an identical re-send is not counted again) and refused, by problem code; each
group the store commits, its latency and how many events it wrote (the store's append
observer, :meth:`events.store.EventStore.observe_appends`). Read at
each scrape: the cast-check queue, live-feed subscribers, each loaded session's log head, and
whether the database answers. Every app has its own registry, so several servers in one
process (tests) never share counters. No label ever carries a token, a code or a body.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Final

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ballot.api.health import readiness
from ballot.api.observability import route_template
from events.store import EventStore

if TYPE_CHECKING:
    from ballot.api.context import Context

#: The cast route's template: its requests are timed and their outcomes counted.
CAST_ROUTE: Final = "/api/v1/sessions/{sid}/rounds/{n}/ballots"
CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Metrics:
    """The counters of one application, and the collector of what is read at scrape time."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ballot_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.cast_seconds = Histogram(
            "ballot_cast_seconds",
            "Time to answer a cast, from request to receipt or refusal",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.ballots_accepted = Counter(
            "ballot_ballots_accepted", "Ballots appended to a log", registry=self.registry
        )
        self.ballots_refused = Counter(
            "ballot_ballots_refused",
            "Casts refused, by problem code",
            ["code"],
            registry=self.registry,
        )
        self.store_append_seconds = Histogram(
            "ballot_store_append_seconds",
            "Time the store took to decide and commit a group of appends",
            # A lone writer's group is one round trip and one fsync (about a millisecond);
            # the locked way is four round trips, and waits for the head row's lock.
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.store_append_group_events = Histogram(
            "ballot_store_append_group_events",
            "Events written by one group commit of the store",
            # One event per append when casts trickle in; a burst's groups gather hundreds
            # (a group holds at most 5 000).
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 5000),
            registry=self.registry,
        )
        self.database_up = 1.0

    def observe_append(self, seconds: float, events: int) -> None:
        """One group committed by the store (an :data:`events.store.AppendObserver`)."""
        self.store_append_seconds.observe(seconds)
        self.store_append_group_events.observe(events)

    def watch_store(self, store: EventStore) -> Callable[[], None]:
        """Observe every group ``store`` commits; return the function that stops it."""
        return store.observe_appends(self.observe_append)

    def watch(self, ctx: Context) -> None:
        """Read the queue, the feeds and the heads of ``ctx`` at every scrape."""
        self.registry.register(_Live(ctx, self))


class _Live(Collector):
    def __init__(self, ctx: Context, metrics: Metrics) -> None:
        self._ctx, self._metrics = ctx, metrics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ctx = self._ctx
        queue = ctx.verifier.depth if ctx.has_verifier else 0
        yield GaugeMetricFamily(
            "ballot_cast_check_queue", "Ballots waiting for or in a proof-checking worker", queue
        )
        yield GaugeMetricFamily(
            "ballot_feed_subscribers", "Live-feed clients of this process", ctx.hub.subscribers()
        )
        heads = GaugeMetricFamily(
            "ballot_log_head_position", "Log head position per session", labels=["session"]
        )
        for session_id, position in sorted(ctx.hub.heads().items()):
            heads.add_metric([session_id], position)
        yield heads
        yield GaugeMetricFamily(
            "ballot_database_up",
            "Whether the database answered the last scrape's probe",
            self._metrics.database_up,
        )


METRICS: Final = web.AppKey("metrics", Metrics)
#: The problem code a response carries (set where problems are rendered).
PROBLEM_CODE: Final = web.ResponseKey("problem_code", str)


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count every request by its route template and final status; time casts."""
    started = time.perf_counter()
    response = await handler(request)
    metrics = request.app[METRICS]
    template = route_template(request)
    metrics.requests.labels(template, request.method, str(response.status)).inc()
    if template == CAST_ROUTE and request.method == "POST":
        metrics.cast_seconds.observe(time.perf_counter() - started)
        code = response.get(PROBLEM_CODE)
        if code is not None:
            metrics.ballots_refused.labels(code).inc()
    return response


def metrics_handler(ctx: Context) -> Handler:
    """The ``/metrics`` endpoint of an application whose context is ``ctx``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        metrics = request.app[METRICS]
        checks = await readiness(ctx.store)
        metrics.database_up = 1.0 if checks.get("database") == "ok" else 0.0
        return web.Response(
            body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE}
        )

    return handle
