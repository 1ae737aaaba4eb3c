"""The least-privilege role a server connects as: ``ballot_app``.

It may read and append to the log (``SELECT, INSERT`` on ``events``), move heads and stream
versions forward, and read and add the API's credentials — nothing that could rewrite,
remove or hide a record: no ``UPDATE``/``DELETE``/``TRUNCATE`` on ``events``, no ownership (so
no ``ALTER TABLE … DISABLE TRIGGER``). What each component grants it is its ``grants.sql``,
re-applied by :func:`events.migrate.migrate` (the SQL names the role literally, as the
migrations do).

Where the database is configured (``BALLOT_DATABASE_URL``), whoever runs it creates the role
(``deploy/postgres-init.sql``). On the embedded PostgreSQL this process owns the cluster, so
:func:`ensure_login_role` creates it, able to log in, before the schema is migrated.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg

#: The application role (the name ``grants.sql`` and the migrations use).
APP_ROLE: Final = "ballot_app"

#: Attributes the role must not have: any of them is more than appending needs.
_EXCESS: Final = {
    "rolsuper": "SUPERUSER",
    "rolcreaterole": "CREATEROLE",
    "rolcreatedb": "CREATEDB",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
}


async def ensure_login_role(conn: asyncpg.Connection[asyncpg.Record], role: str = APP_ROLE) -> None:
    """Make ``role`` exist and able to log in, on a cluster whose superuser ``conn`` is.

    No password is set: the embedded PostgreSQL accepts only local-socket connections and
    authenticates them as ``trust`` (pgserver's ``initdb --auth-local=trust``), so a password
    would protect nothing and would only be one more secret to keep out of logs.

    Refuses (``RuntimeError``) a role that already has more than it needs — an attribute such
    as ``SUPERUSER`` or membership of another role — rather than silently serving with it;
    it only ever adds ``LOGIN``.
    """
    quoted = quote_ident(role)
    async with conn.transaction():
        # Serialize concurrent starters: concurrent CREATE/ALTER ROLE of one role fail.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"ballot-role:{role}")
        row = await conn.fetchrow(
            "SELECT r.rolcanlogin, r.rolsuper, r.rolcreaterole, r.rolcreatedb,"
            " r.rolreplication, r.rolbypassrls,"
            " array(SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid"
            "       WHERE m.member = r.oid ORDER BY g.rolname) AS member_of"
            " FROM pg_roles r WHERE r.rolname = $1",
            role,
        )
        if row is None:
            await conn.execute(f"CREATE ROLE {quoted} LOGIN")
            return
        excess = [name for column, name in _EXCESS.items() if row[column]]
        excess += [f"member of {group}" for group in row["member_of"]]
        if excess:
            raise RuntimeError(
                f"role {role} has more privilege than serving needs ({', '.join(excess)}); "
                f"remove it (ALTER ROLE / REVOKE) before serving as {role}"
            )
        if not row["rolcanlogin"]:  # the migrations create it NOLOGIN
            await conn.execute(f"ALTER ROLE {quoted} LOGIN")


def with_user(dsn: str, user: str) -> str:
    """``dsn`` (a ``postgresql://`` URL) connecting as ``user``, without a password; the
    database and the other parameters (the embedded server's socket folder) are kept. A URL
    that named no database keeps connecting to its old user's (libpq would otherwise pick
    one named after the new user)."""
    parts = urlsplit(dsn)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if not at:
        userinfo, hostport = "", parts.netloc
    path = parts.path
    if path in ("", "/"):
        old_user = unquote(userinfo.partition(":")[0])
        path = "/" + quote(old_user, safe="") if old_user else path
    netloc = f"{quote(user, safe='')}@{hostport}"
    return urlunsplit((parts.scheme, netloc, path, parts.query, parts.fragment))


def quote_ident(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
