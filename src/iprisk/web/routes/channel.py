"""The channel's routes: what the peer node calls (thin: each calls :class:`iprisk.link.Link`).

No API token here: what arrives is authenticated by the message itself (signed by the peer's pinned key,
encrypted to ours), and what is refused is recorded and answered with a problem naming the check that
failed. ``POST /channel/messages`` answers a duplicate with the same receipt, byte for byte.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from iprisk.exchange import (
    BadSignature,
    ChannelError,
    DecryptionFailed,
    MalformedMessage,
    RetiredKey,
    RevokedKey,
    UnknownKey,
    WrongRecipient,
)
from iprisk.link import Link, answer_query, card_of
from iprisk.link.http import JOSE, TRANSIENT
from iprisk.web.problems import ProblemResponse, problem

router = APIRouter(prefix="/channel", tags=["channel"])
_log = logging.getLogger("iprisk.channel")

#: the status a refusal is answered with, by the check that failed (anything else: 400)
_STATUS: dict[type[ChannelError], int] = {
    MalformedMessage: 400,
    DecryptionFailed: 400,
    WrongRecipient: 421,
    UnknownKey: 403,
    RevokedKey: 403,
    RetiredKey: 403,
    BadSignature: 403,
}
_SEALED_BODY: dict[str, Any] = {
    "requestBody": {"content": {JOSE: {"schema": {"type": "string"}}}, "required": True}
}


class _NoChannel(Exception):
    """The app was built without a node (no IPRISK_NODE): it has no channel to answer on."""


def _link(request: Request) -> Link:
    link = getattr(request.app.state, "link", None)
    if link is None:
        raise _NoChannel
    return link


def _no_channel(request: Request) -> ProblemResponse:
    return problem(
        503,
        "No channel",
        "this node has no channel: set IPRISK_NODE and initialise it (iprisk node init)",
        slug="no-channel",
        instance=request.url.path,
        error=TRANSIENT,
    )


def _status(exc: ChannelError) -> int:
    return next((status for cls, status in _STATUS.items() if isinstance(exc, cls)), 400)


def _refusal(request: Request, exc: Exception) -> ProblemResponse:
    if isinstance(exc, ChannelError):
        return problem(
            _status(exc),
            "Message refused",
            str(exc),
            slug="message-refused",
            instance=request.url.path,
            error=type(exc).__name__,
        )
    _log.warning("channel: transient failure: %s", type(exc).__name__, exc_info=exc)
    return problem(
        503,
        "Try again later",
        f"the node could not take the message now ({type(exc).__name__})",
        slug="unavailable",
        instance=request.url.path,
        error=TRANSIENT,
    )


@router.post(
    "/messages",
    summary="Deliver one sealed message; answered with its signed receipt",
    response_class=Response,
    responses={200: {"content": {JOSE: {}}}, 400: {}, 403: {}, 421: {}, 503: {}},
    openapi_extra=_SEALED_BODY,
)
async def post_message(request: Request) -> Response:
    return await _sealed_exchange(request, lambda link, body: link.receive(body))


@router.post(
    "/batches",
    summary="Deliver several sealed messages; a receipt or an error for each, in order",
    responses={400: {}, 503: {}},
)
async def post_batch(request: Request) -> JSONResponse:
    try:
        link = _link(request)
    except _NoChannel:
        return _no_channel(request)
    try:
        messages = (await request.json())["messages"]
        if not isinstance(messages, list) or not all(isinstance(m, str) for m in messages):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return problem(400, "Bad request", 'expected {"messages": [sealed, ...]}', slug="bad-request")
    answers = await run_in_threadpool(link.receive_many, messages)
    results: list[dict[str, str]] = []
    for answer in answers:
        if isinstance(answer, str):
            results.append({"receipt": answer})
        elif isinstance(answer, ChannelError):
            results.append({"error": type(answer).__name__, "detail": str(answer)})
        else:
            results.append({"error": TRANSIENT, "detail": type(answer).__name__})
    return JSONResponse({"results": results})


@router.get("/card", summary="The node's public keys, its key rotations and its audit keys")
def get_card(request: Request) -> Any:
    try:
        return card_of(_link(request))
    except _NoChannel:
        return _no_channel(request)


@router.post(
    "/queries",
    summary="A sealed question from the peer; answered sealed to it",
    response_class=Response,
    responses={200: {"content": {JOSE: {}}}, 400: {}, 403: {}, 421: {}, 503: {}},
    openapi_extra=_SEALED_BODY,
)
async def post_query(request: Request) -> Response:
    return await _sealed_exchange(request, answer_query)


async def _sealed_exchange(request: Request, answer: Callable[[Link, bytes], str | bytes]) -> Response:
    """Sealed bytes in, sealed (or signed) bytes out, computed off the event loop by ``answer``."""
    try:
        link = _link(request)
    except _NoChannel:
        return _no_channel(request)
    body = await request.body()
    try:
        sealed = await run_in_threadpool(answer, link, body)
    except Exception as exc:  # a refusal (ChannelError) or a transient failure: never a 500
        return _refusal(request, exc)
    return Response(sealed, media_type=JOSE)
