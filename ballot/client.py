"""A typed HTTP client of ``/api/v1`` (aiohttp): used by ``ballot simulate``, ``ballot teller``,
``ballot bench cast`` and the tests, so they all exercise the real API.

Every non-2xx answer raises :class:`ApiProblem` carrying the problem document's ``code``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp


class ApiProblem(Exception):
    """An RFC 9457 problem returned by the server."""

    def __init__(self, status: int, document: dict[str, Any]) -> None:
        self.status = status
        self.document = document
        self.code = str(document.get("code", "unknown"))
        super().__init__(f"{status} {self.code}: {document.get('detail', '')}")


@dataclass
class Client:
    """One caller of the API (anonymous, the secretariat, or an enrolled participant)."""

    base_url: str
    session: aiohttp.ClientSession
    token: str | None = None
    session_id: str | None = None
    subject: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def as_token(self, token: str | None, subject: str | None = None) -> Client:
        """The same connection pool, another identity."""
        return Client(self.base_url, self.session, token, self.session_id, subject)

    def for_session(self, session_id: str) -> Client:
        """A client bound to ``session_id``."""
        return Client(self.base_url, self.session, self.token, session_id, self.subject)

    # -- transport --------------------------------------------------------------------------
    async def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send a request; return the decoded JSON, or raise :class:`ApiProblem`."""
        headers = dict(self.extra_headers)
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.session.request(
            method, self.base_url.rstrip("/") + path, json=body, headers=headers
        ) as response:
            if response.status >= 400:
                try:
                    document = await response.json(content_type=None)
                except (aiohttp.ContentTypeError, ValueError):
                    document = {"code": "http_error", "detail": await response.text()}
                raise ApiProblem(response.status, document)
            return await response.json(content_type=None)

    def _s(self, suffix: str = "") -> str:
        if self.session_id is None:
            raise ValueError("this client is not bound to a session")
        return f"/api/v1/sessions/{self.session_id}{suffix}"

    # -- secretariat ------------------------------------------------------------------------
    async def convene(
        self, title: str, settings: dict[str, Any], session_id: str | None = None
    ) -> Any:
        body: dict[str, Any] = {"title": title, "settings": settings}
        if session_id:
            body["session_id"] = session_id
        return await self.request("POST", "/api/v1/sessions", body)

    async def register_member(self, member_id: str, name: str, observer: bool = False) -> Any:
        return await self.request(
            "POST",
            self._s("/members"),
            {"member_id": member_id, "name": name, "observer": observer},
        )

    async def admit_witness(self, witness_id: str, name: str, public_key: str) -> Any:
        return await self.request(
            "POST",
            self._s("/witnesses"),
            {"witness_id": witness_id, "name": name, "public_key": public_key},
        )

    async def nominate(self, candidate_id: str, name: str) -> Any:
        return await self.request(
            "POST", self._s("/candidates"), {"candidate_id": candidate_id, "name": name}
        )

    async def accept_credentials(self, member_id: str) -> Any:
        return await self.request("POST", self._s(f"/members/{member_id}/credentials"))

    async def presence(self, member_id: str, present: bool) -> Any:
        return await self.request(
            "PUT", self._s(f"/members/{member_id}/presence"), {"present": present}
        )

    async def voting_rights(self, member_id: str, **flags: Any) -> Any:
        return await self.request("PUT", self._s(f"/members/{member_id}/voting-rights"), flags)

    async def appoint_tellers(self, tellers: list[tuple[str, str]]) -> Any:
        body = {"tellers": [{"teller_id": t, "name": n} for t, n in tellers]}
        return await self.request("POST", self._s("/tellers"), body)

    async def publish_election_key(self) -> Any:
        return await self.request("POST", self._s("/key-ceremony/election-key"))

    async def open_round(self) -> Any:
        return await self.request("POST", self._s("/rounds"))

    async def close_round(self, number: int) -> Any:
        return await self.request("POST", self._s(f"/rounds/{number}/close"))

    async def void_round(self, number: int, reason: str = "") -> Any:
        return await self.request("POST", self._s(f"/rounds/{number}/void"), {"reason": reason})

    async def withdraw(self, candidate_id: str, reason: str = "") -> Any:
        return await self.request(
            "POST", self._s(f"/candidates/{candidate_id}/withdrawal"), {"reason": reason}
        )

    async def acclaim(self, candidate_id: str) -> Any:
        return await self.request("POST", self._s("/acclamation"), {"candidate_id": candidate_id})

    async def adjourn(self, reason: str = "") -> Any:
        return await self.request("POST", self._s("/adjournment"), {"reason": reason})

    async def sign_checkpoint(self) -> Any:
        return await self.request("POST", self._s("/checkpoints"))

    # -- participants -----------------------------------------------------------------------
    async def enroll(self, code: str, public_key_b64: str) -> Any:
        return await self.request(
            "POST", self._s("/enrollment"), {"code": code, "public_key": public_key_b64}
        )

    async def cast(self, number: int, ballot: dict[str, Any], signature_b64: str) -> Any:
        return await self.request(
            "POST",
            self._s(f"/rounds/{number}/ballots"),
            {"ballot": ballot, "signature": signature_b64},
        )

    async def my_receipt(self, number: int) -> Any:
        return await self.request("GET", self._s(f"/rounds/{number}/ballots/mine"))

    async def post_commitment(self, message: dict[str, Any], signature_b64: str) -> Any:
        return await self.request(
            "POST",
            self._s("/key-ceremony/commitments"),
            {"message": message, "signature": signature_b64},
        )

    async def post_shares(self, shares: list[tuple[dict[str, Any], str]]) -> Any:
        body = {"shares": [{"share": s, "signature": sig} for s, sig in shares]}
        return await self.request("POST", self._s("/key-ceremony/shares"), body)

    async def post_complaint(self, message: dict[str, Any], signature_b64: str) -> Any:
        return await self.request(
            "POST",
            self._s("/key-ceremony/complaints"),
            {"message": message, "signature": signature_b64},
        )

    async def post_answer(self, message: dict[str, Any], signature_b64: str) -> Any:
        return await self.request(
            "POST",
            self._s("/key-ceremony/answers"),
            {"message": message, "signature": signature_b64},
        )

    async def post_decryption_share(self, number: int, share: dict[str, Any]) -> Any:
        return await self.request("POST", self._s(f"/rounds/{number}/shares"), {"share": share})

    # -- public reads -----------------------------------------------------------------------
    async def info(self) -> Any:
        return await self.request("GET", self._s())

    async def board(self) -> Any:
        return await self.request("GET", self._s("/board"))

    async def roll(self) -> Any:
        return await self.request("GET", self._s("/roll"))

    async def round(self, number: int) -> Any:
        return await self.request("GET", self._s(f"/rounds/{number}"))

    async def turnout(self, number: int) -> Any:
        return await self.request("GET", self._s(f"/rounds/{number}/turnout"))

    async def aggregate(self, number: int) -> Any:
        return await self.request("GET", self._s(f"/rounds/{number}/aggregate"))

    async def ceremony(self) -> Any:
        return await self.request("GET", self._s("/key-ceremony"))

    async def checkpoints(self) -> Any:
        return await self.request("GET", self._s("/checkpoints"))

    async def challenge(
        self, number: int, ballot: dict[str, Any], signature: str, reveal: dict[str, Any]
    ) -> Any:
        return await self.request(
            "POST",
            self._s(f"/rounds/{number}/challenges"),
            {"ballot": ballot, "signature": signature, "reveal": reveal},
        )

    async def consistency(self, old: int, new: int) -> Any:
        return await self.request("GET", self._s(f"/checkpoints/consistency?old={old}&new={new}"))

    async def cosign(self, position: int, witness_id: str, signature: str) -> Any:
        return await self.request(
            "POST",
            self._s(f"/checkpoints/{position}/cosignatures"),
            {"witness_id": witness_id, "signature": signature},
        )

    async def receipt(self, code: str) -> Any:
        return await self.request("GET", self._s(f"/receipts/{code}"))

    async def event_lines(self, after: int = 0) -> AsyncIterator[bytes]:
        """The session's log as JSON Lines, streamed."""
        async with self.session.get(
            self.base_url.rstrip("/") + self._s(f"/events?after={after}")
        ) as response:
            if response.status >= 400:
                raise ApiProblem(response.status, await response.json(content_type=None))
            buffer = b""
            async for chunk in response.content.iter_any():
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    yield line + b"\n"
            if buffer:
                yield buffer
