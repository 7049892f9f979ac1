"""KA2 referrals on the node: list, show, draft, the lifecycle steps and the KPIs, scoped by the authorisation
table (``referrals.read``, ``referrals.draft``, ``referrals.act``, ``referrals.kpis``) and then by the
referral's ports (a port officer acts only on referrals of their ports)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query
from fastapi import Path as PathParam

from iprisk.accounts import Grant
from iprisk.node import Node
from iprisk.node.referrals import draft_referral, kpi_table, referral_detail, referral_list, take_step
from iprisk.web.auth import get_node, require

router = APIRouter(prefix="/referrals", tags=["referrals"])
NodeDep = Annotated[Node, Depends(get_node)]
_ID = Annotated[str, PathParam(max_length=36)]
_QUARTER = r"^\d{4}Q[1-4]$"


class Step(StrEnum):
    send = "send"
    acknowledge = "acknowledge"
    feedback = "feedback"
    close = "close"


@router.get("/kpis", summary="The state of play per quarter and port pair")
def referral_kpis(
    grant: Annotated[Grant, require("referrals.kpis")],
    node: NodeDep,
    quarter: Annotated[str | None, Query(pattern=_QUARTER)] = None,
) -> list[dict[str, Any]]:
    return kpi_table(node, grant.principal, quarter).to_pylist()


@router.get("", summary="The referrals the caller may see")
def referrals(
    grant: Annotated[Grant, require("referrals.read")],
    node: NodeDep,
    state: Annotated[list[str] | None, Query()] = None,
) -> list[dict[str, Any]]:
    return referral_list(node, grant.principal, state)


@router.post("", status_code=201, summary="Draft a warning (JSON, docs/formats.md)")
def new_referral(
    grant: Annotated[Grant, require("referrals.draft")],
    node: NodeDep,
    warning: Annotated[dict[str, Any], Body()],
) -> dict[str, Any]:
    return draft_referral(node, grant.principal, warning)


@router.get("/{referral_id}", summary="One referral with every step")
def referral(
    referral_id: _ID, grant: Annotated[Grant, require("referrals.read")], node: NodeDep
) -> dict[str, Any]:
    return referral_detail(node, grant.principal, referral_id)


@router.post("/{referral_id}/{step}", summary="Send, acknowledge, give feedback on or close a referral")
def referral_step(
    referral_id: _ID,
    step: Step,
    grant: Annotated[Grant, require("referrals.act")],
    node: NodeDep,
    body: Annotated[dict[str, Any] | None, Body()] = None,
) -> dict[str, Any]:
    return take_step(node, grant.principal, referral_id, step.value, body)
