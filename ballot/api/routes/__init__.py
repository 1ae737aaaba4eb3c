"""Every endpoint of ``/api/v1``, one route table per caller: parse, authorize, call the
domain through the service, reply.

* :mod:`.secretariat` — convening, the roll, credentials, tellers, rounds, the end;
* :mod:`.participants` — a delegation's enrollment, ballot and receipt;
* :mod:`.tellers` — the key ceremony and the decryption shares;
* :mod:`.public` — what anyone may read: the board, the log, checkpoints, receipts, the feed.

Roles are declared per route (SPEC §2); everything else is refused with 401/403 before any
command exists, so a refused call is recorded nowhere.
"""

from __future__ import annotations

from ballot import __version__
from ballot.api.routes import participants, public, secretariat, tellers
from ballot.api.routing import Api

api = Api(
    title="ballot",
    version=__version__,
    tables=(secretariat.routes, participants.routes, tellers.routes, public.routes),
)

__all__ = ["api"]
