"""The PostgreSQL event store (asyncpg), with group commit and LISTEN/NOTIFY subscriptions.

Concurrency design
------------------
* Every append to a log takes the row lock of that log's ``log_heads`` row first. Positions
  and the previous hash are read under that lock and written back before commit, so a log's
  positions are gap-free and in commit order, across any number of server processes, and
  appends to different logs never wait for each other.
* **Group commit** (:mod:`events.postgres.writer`). Inside one process, appends to one log
  go through a queue drained by a single writer task: all requests waiting when a
  transaction starts are decided together by :func:`events.batch.plan` and written by one
  statement in one transaction — one fsync for the whole group. Every caller's future
  resolves only after the commit, so an append is durable before it returns.
* **Subscriptions** (:mod:`events.postgres.notify`). A commit sends ``NOTIFY`` with the log
  and its new head; a subscriber only uses it as a wake-up and then reads ``position > last
  seen`` from the table, so it can never skip an event nor see one twice.

Modules: :mod:`~events.postgres.sql` (statements, the head lock, the one write statement),
:mod:`~events.postgres.writer`, :mod:`~events.postgres.notify`, and
:mod:`~events.postgres.store` (:class:`PostgresEventStore` itself), and
:mod:`~events.postgres.unavailable` (which failures mean "the database is unreachable").
"""

from events.postgres.sql import Connection
from events.postgres.store import PostgresEventStore
from events.postgres.unavailable import database_unavailable

__all__ = ["Connection", "PostgresEventStore", "database_unavailable"]
