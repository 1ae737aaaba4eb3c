"""Child processes for the multi-process store tests (run as a script, not collected)."""

from __future__ import annotations

import asyncio
import json
import sys

from events import NewEvent
from events.postgres import PostgresEventStore


async def subscribe(dsn: str, schema: str, log_id: str, count: int) -> None:
    store = await PostgresEventStore.open(dsn, schema=schema, run_migrations=False)
    print("ready", flush=True)
    async for event in store.subscribe(log_id):
        print(json.dumps({"position": event.position, "n": event.payload()["n"]}), flush=True)
        if event.position >= count:
            break
    await store.close()


async def append_forever(dsn: str, schema: str, log_id: str, batch: int) -> None:
    store = await PostgresEventStore.open(
        dsn, schema=schema, run_migrations=False, application_name="ballot-crash-test"
    )
    k = 0
    while True:
        k += 1
        events = [NewEvent("Bulk", {"append": k, "i": i, "pad": "x" * 200}) for i in range(batch)]
        print(f"start {k}", flush=True)
        await store.append(log_id, f"bulk-{k}", events)


if __name__ == "__main__":
    command, dsn, schema, log_id, number = sys.argv[1:6]
    if command == "subscribe":
        asyncio.run(subscribe(dsn, schema, log_id, int(number)))
    elif command == "append-forever":
        asyncio.run(append_forever(dsn, schema, log_id, int(number)))
    else:
        raise SystemExit(f"unknown command {command}")
