"""Sealed questions between nodes: a node asks, the peer answers at once, both sealed like messages.

A question is a message of kind ``query.<name>`` signed by the asker for the peer and encrypted to it; the
answer is a message of kind ``answer.<name>`` signed by the peer for the asker and encrypted to it, whose
payload names the question it answers. Nothing is stored and nothing is applied: a question has no effect,
so it needs neither the outbox nor a receipt, and a replayed question only earns an answer the replayer
cannot read. (Reconciliation asks the peer for its manifest this way.)
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from iprisk.exchange import (
    MalformedMessage,
    Message,
    Opened,
    check_fresh,
    open_sealed,
    seal,
)
from iprisk.exchange._encoding import canonical_json

if TYPE_CHECKING:
    from iprisk.link.context import Link

#: how long a question or its answer may take
QUESTION_TTL = timedelta(minutes=5)

#: answers a question: (the answering node's link, the opened question) -> a JSON-serialisable answer
Answerer = Callable[["Link", Opened], Any]
_QUERIES: dict[str, Answerer] = {}


def register_query(name: str, answerer: Answerer) -> None:
    _QUERIES[name] = answerer


def ask(link: Link, peer: str, name: str, question: Any = None) -> Any:
    """Ask ``peer`` the question ``name``; its answer (JSON), after checking who answered what."""
    now = link.clock.now()
    rings = link.rings()
    payload = canonical_json({"question": question})
    message = Message.new(
        f"query.{name}", link.name, peer, payload, now=now, ttl=QUESTION_TTL, content_type="application/json"
    )
    ring = rings.get(peer)
    if ring is None:
        raise MalformedMessage(f"no keys pinned for node {peer!r}: add the peer first")
    sealed = seal(message, link.identity.current, ring.current(now))
    opened = open_sealed(link.transport.query(peer, sealed.wire), link.identity, rings, link.clock.now())
    body = _json(opened)
    if (
        opened.message.sender != peer
        or opened.message.kind != f"answer.{name}"
        or body.get("question") != message.id
    ):
        raise MalformedMessage(
            f"{peer} answered {opened.message.kind} for {body.get('question')!r}, not this question"
        )
    return body.get("answer")


def answer_query(link: Link, wire: str | bytes) -> str:
    """The sealed answer to a sealed question (raises what refused the question)."""
    from iprisk.link.kinds import kinds

    kinds()  # the built-in kinds' modules register their questions when imported
    now = link.clock.now()
    rings = link.rings()
    opened = open_sealed(wire, link.identity, rings, now)
    check_fresh(opened.message, now)
    name = opened.message.kind.removeprefix("query.")
    answerer = _QUERIES.get(name) if opened.message.kind.startswith("query.") else None
    if answerer is None:
        raise MalformedMessage(f"no question {opened.message.kind!r} is answered here")
    body = canonical_json({"question": opened.message.id, "answer": answerer(link, opened)})
    sender = opened.message.sender
    reply = Message.new(
        f"answer.{name}", link.name, sender, body, now=now, ttl=QUESTION_TTL, content_type="application/json"
    )
    return seal(reply, link.identity.current, rings[sender].current(now)).wire


def _json(opened: Opened) -> dict[str, Any]:
    try:
        body = json.loads(opened.message.payload)
    except ValueError:
        raise MalformedMessage(f"{opened.message.kind}: the payload is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedMessage(f"{opened.message.kind}: the payload is not a JSON object")
    return body


def question_of(opened: Opened) -> Any:
    """What was asked (the ``question`` field of a question's payload)."""
    return _json(opened).get("question")
