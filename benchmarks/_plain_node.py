"""The baseline of ``bench_link``: the same HTTP POSTs without the channel. An ASGI app (run by uvicorn in
its own process, like a node) that stores each message's bytes in a SQLite table, one transaction per
request, and answers an acknowledgement per message: no signature, no encryption, no receipt, no state
machine. ``PLAIN_DB`` names the SQLite file."""

from __future__ import annotations

import base64
import os
import sqlite3
import threading

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_db = sqlite3.connect(os.environ.get("PLAIN_DB", "plain.sqlite"), check_same_thread=False)
_db.execute("PRAGMA journal_mode=WAL")
_db.execute("CREATE TABLE IF NOT EXISTS messages (id TEXT PRIMARY KEY, body BLOB NOT NULL)")
_lock = threading.Lock()


def _store(messages: list[tuple[str, bytes]]) -> None:
    with _lock, _db:
        _db.executemany("INSERT OR IGNORE INTO messages (id, body) VALUES (?, ?)", messages)


async def one(request: Request) -> Response:
    body = await request.body()
    _store([(request.headers["x-message-id"], body)])
    return Response(b"ok")


async def batch(request: Request) -> JSONResponse:
    messages = (await request.json())["messages"]
    _store([(m["id"], base64.b64decode(m["body"])) for m in messages])
    return JSONResponse({"acks": [m["id"] for m in messages]})


async def health(_request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[
        Route("/plain/messages", one, methods=["POST"]),
        Route("/plain/batches", batch, methods=["POST"]),
        Route("/health", health),
    ]
)
