"""The ``Idempotency-Key`` header on every POST (IETF httpapi idempotency-key draft), as ASGI middleware.

A POST carrying the header is fingerprinted (method, path, query and payload; a form's fields and files by
content, so a client library's new multipart boundary on a retry is the same payload), then the key is
claimed in the operational database (:class:`iprisk.store.IdempotencyStore`):

* first time: the request runs; its response is stored (unless it is a server error: then the key is
  released and a retry runs again);
* same key, same payload: the stored response is replayed (``Idempotency-Replayed: true``);
* same key, another payload: 422; the first request still running: 409.

A POST without the header runs as usual.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

import anyio
from starlette.datastructures import Headers, UploadFile
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iprisk.store import IdempotencyStore, StoredResponse
from iprisk.web.problems import problem

HEADER = "idempotency-key"
MAX_KEY_CHARS = 255
#: Response headers kept with a stored response (the rest are recomputed or meaningless on a replay).
_KEPT_HEADERS = ("content-type", "location")


def _key(raw: str) -> str | None:
    """The key: a structured-field string (``"..."``) or, leniently, a bare token; None when unusable."""
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    return key if 0 < len(key) <= MAX_KEY_CHARS and key.isprintable() else None


async def _fingerprint(scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1")):
        digest.update(part.encode("utf-8") + b"\0")
    content_type = Headers(scope=scope).get("content-type", "")
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        digest.update(await _form_digest(scope, body))
    elif content_type.startswith("application/json"):
        try:
            digest.update(json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode("utf-8"))
        except ValueError:
            digest.update(body)
    else:
        digest.update(body)
    return digest.hexdigest()


async def _form_digest(scope: Scope, body: bytes) -> bytes:
    """The fields and files of a form by name and content: independent of the multipart boundary."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    parts = hashlib.sha256()
    try:
        async with Request(scope, receive).form() as form:
            for name, value in form.multi_items():
                parts.update(name.encode("utf-8") + b"\0")
                if isinstance(value, UploadFile):
                    parts.update(hashlib.sha256(await value.read()).digest())
                    parts.update((value.filename or "").encode("utf-8") + b"\0")
                else:
                    parts.update(value.encode("utf-8") + b"\0")
    except Exception:  # not a parsable form: the raw bytes then (the route will refuse it anyway)
        return hashlib.sha256(body).digest()
    return parts.digest()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return
        key = _key(raw_key)
        if key is None:
            await problem(400, "Bad request", f"Idempotency-Key: 1 to {MAX_KEY_CHARS} printable characters",
                          slug="bad-idempotency-key")(scope, receive, send)  # fmt: skip
            return
        body = await _read_body(receive)
        caller = hashlib.sha256(headers.get("authorization", "").encode("utf-8")).hexdigest()
        fingerprint = await _fingerprint(scope, body)
        store = _store(scope)
        claim = await anyio.to_thread.run_sync(store.claim, caller, key, fingerprint, "POST", scope["path"])
        if claim.outcome == "replay":
            assert claim.response is not None
            await _replay(claim.response, send)
            return
        if claim.outcome == "mismatch":
            detail = "this Idempotency-Key was used with another request payload"
            await problem(422, "Idempotency key reused", detail, slug="idempotency-key-reused")(
                scope, receive, send
            )
            return
        if claim.outcome == "in_progress":
            detail = "a request with this Idempotency-Key is still in progress; retry later"
            await problem(409, "Request in progress", detail, slug="idempotency-in-progress")(
                scope, receive, send
            )
            return
        await self._run(scope, body, send, store, caller, key)

    async def _run(
        self, scope: Scope, body: bytes, send: Send, store: IdempotencyStore, caller: str, key: str
    ) -> None:
        sent = False

        async def replayed_receive() -> Message:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 500
        kept: list[tuple[str, str]] = []
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.decode("latin-1").lower() in _KEPT_HEADERS:
                        kept.append((name.decode("latin-1"), value.decode("latin-1")))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replayed_receive, capture)
        except BaseException:
            await anyio.to_thread.run_sync(store.release, caller, key)
            raise
        if status >= 500:
            await anyio.to_thread.run_sync(store.release, caller, key)
        else:
            response = StoredResponse(status, kept, b"".join(chunks))
            await anyio.to_thread.run_sync(store.finish, caller, key, response)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _replay(response: StoredResponse, send: Send) -> None:
    headers: list[tuple[bytes, bytes]] = [
        (k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers
    ]
    headers.append((b"content-length", str(len(response.body)).encode("ascii")))
    headers.append((b"idempotency-replayed", b"true"))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


def _store(scope: Scope) -> IdempotencyStore:
    node: Any = scope["app"].state.node
    settings = node.settings
    return IdempotencyStore(
        node.engine,
        node.clock,
        ttl=timedelta(hours=settings.idempotency_hours),
        timeout=timedelta(seconds=settings.idempotency_timeout_s),
    )
