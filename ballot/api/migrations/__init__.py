"""The API's own tables (credentials, session secrets), beside the event store's.

:data:`COMPONENTS` lists every component's migrations in the order ``ballot migrate`` applies
them; a server is ready only when each is current.
"""

from __future__ import annotations

from typing import Final

#: (package, ledger table) of every component's migrations, in order.
COMPONENTS: Final = (
    ("events.migrations", "schema_migrations"),
    ("ballot.api.migrations", "api_migrations"),
)
