"""Referrals on a node: the library's lifecycle on the node's database, clock and signed audit log.

Who acts is the caller's ``Principal`` (any ``iprisk.referrals.Actor``: the demo and the tests pass an
``Officer``); the lifecycle checks what they may do
on this referral (their ports, their side), after the authorisation table let the route through. Every step is
a row of ``referral_events`` and an entry of the node's audit log, in one transaction.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

import pandas as pd
import pyarrow as pa

from iprisk.errors import InvalidInput, Problem
from iprisk.formats.referrals import read_feedback
from iprisk.link.referrals import sending_attachments
from iprisk.node.context import Node
from iprisk.referrals import (
    Actor,
    Deadlines,
    NotPermitted,
    Referral,
    acknowledge,
    close,
    draft,
    give_feedback,
    kpi_sides,
    kpis,
    may_see,
    prepare_warning,
    rows_of_sides,
    send,
    state_of_play_of_rows,
    summary,
)
from iprisk.store import ReferralStore


def _store(node: Node) -> ReferralStore:
    """The node's store (at a node with a channel, its steps travel to the other node)."""
    return node.referrals if node.referrals is not None else ReferralStore(node.engine, audit=node.audit)


def _visible(principal: Actor, ref: Referral) -> None:
    if not may_see(principal, ref.warning.sending_port, ref.warning.receiving_port):
        raise NotPermitted(principal.name, "see", ref.id, "it concerns none of your ports or your side")


def referral_list(node: Node, principal: Actor, states: list[str] | None = None) -> list[dict[str, Any]]:
    """The referrals the caller may see, oldest first, as JSON summaries."""
    refs = _store(node).referrals(states=states)
    return [summary(r) for r in refs if may_see(principal, r.warning.sending_port, r.warning.receiving_port)]


def referral_detail(node: Node, principal: Actor, referral_id: str) -> dict[str, Any]:
    """One referral the caller may see, with every step."""
    store = _store(node)
    ref = store.get(referral_id)
    _visible(principal, ref)
    events = [
        {"step": e.step, "from": e.from_state, "to": e.to_state, "by": e.by, "at": e.at.isoformat(),
         "details": dict(e.details)}
        for e in store.events(referral_id)
    ]  # fmt: skip
    return summary(ref) | {"events": events}


def draft_referral(node: Node, principal: Actor, data: Any, *, source: str = "warning") -> dict[str, Any]:
    """Draft a warning sent as JSON, checked against the node's network (parties keyed when needed);
    ``source`` names it in the errors (the file at the command line)."""
    from iprisk.referrals import load_party_key

    store = _store(node)
    now = node.clock.now()
    warning = prepare_warning(
        data, store.network(), sender_side=principal.administration, today=now.date(),
        party_key=lambda: load_party_key(node.settings.key_folder), source=source,
    )  # fmt: skip
    return summary(store.add(*draft(warning, principal, now)))


def take_step(
    node: Node,
    principal: Actor,
    referral_id: str,
    step: str,
    body: dict[str, Any] | None = None,
    *,
    attachments: Mapping[str, bytes] | None = None,
) -> dict[str, Any]:
    """Send, acknowledge, give feedback on or close a referral; the new state. ``attachments`` are the
    contents of the files the warning lists, sent with it (checked against the list, their size and type);
    through the API they come base64-encoded in the body of ``send`` (``{"attachments": {name: ...}}``)."""
    now = node.clock.now()
    if step == "feedback":
        feedback = read_feedback(
            {"referral_id": referral_id, "at": now.isoformat(), **(body or {})}, source="feedback"
        )
        make: Any = lambda r: give_feedback(r, principal, feedback)  # noqa: E731
    elif step == "acknowledge":
        make = lambda r: acknowledge(r, principal, now, (body or {}).get("note"))  # noqa: E731
    elif step == "send":
        make = lambda r: send(r, principal, now)  # noqa: E731
        if attachments is None and body and "attachments" in body:
            attachments = _decoded(body["attachments"])
    else:
        make = lambda r: close(r, principal, now)  # noqa: E731
    with sending_attachments(attachments or {}):
        return summary(_store(node).step(referral_id, make))


def _decoded(contents: Any) -> dict[str, bytes]:
    """The attachments of a ``send`` request's body: ``{"attachments": {"name.pdf": "<base64>"}}``."""
    if isinstance(contents, dict):
        try:
            return {str(k): base64.b64decode(v, validate=True) for k, v in contents.items()}
        except (binascii.Error, TypeError, ValueError):
            pass
    problem = Problem("type", "an object of file names and base64 contents", column="attachments")
    raise InvalidInput([problem], source="send")


def kpi_table(node: Node, principal: Actor, quarter: str | None) -> pa.Table:
    """The KPIs the caller may read (the coordinator both sides, an analyst or auditor their own)."""
    sides = kpi_sides(principal)
    rows = _store(node).kpi_rows(Deadlines.from_settings(node.settings))
    return kpis(rows_of_sides(rows, sides), now=node.clock.now(), quarter=quarter)


def node_referral_kpis(store_url: str | None, quarter: str) -> pd.DataFrame | None:
    """The referral indicators of the state of play for ``quarter`` from the operational database (this
    node's side when ``IPRISK_NODE`` is set); ``None`` when it holds no referral."""
    from datetime import UTC, datetime

    from iprisk.settings import get_settings

    settings = get_settings()
    with ReferralStore(store_url) as store:
        rows = store.kpi_rows(Deadlines.from_settings(settings))
    return state_of_play_of_rows(rows, quarter=quarter, now=datetime.now(UTC), side=settings.node)
