"""Allocation on the node: stored control plans and joint operations, and the KA2 port selection.

Plans and operations are made with the CLI (``iprisk allocate``, ``iprisk operation propose``) against the
node's database; these routes read them, and compute a port selection on the node's statistics.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from iprisk.accounts import Grant
from iprisk.node import Node
from iprisk.node.allocation import operation_list, plan_list, plan_strata, select_key_ports
from iprisk.web.auth import get_node, require
from iprisk.web.params import MAX_ID, MAX_INDEX

router = APIRouter(prefix="/allocation", tags=["allocation"])
NodeDep = Annotated[Node, Depends(get_node)]
ReadGrant = Annotated[Grant, require("allocation.read")]
_QUARTER = r"^\d{4}Q[1-4]$"
_LOCODE = r"^[A-Z]{2}[A-Z2-9]{3}$"


class Side(StrEnum):
    EU = "EU"
    CN = "CN"


class Weight(StrEnum):
    cases = "cases"
    traffic = "traffic"


class Table(BaseModel):
    columns: list[str]
    rows: list[list[Any]]


class StrataPage(Table):
    plan_id: int
    total: int = Field(description="Strata of the plan, before paging.")
    offset: int


class PortSelectionOut(BaseModel):
    side: str
    ports: list[str] = Field(description="The network's ports on the side asked (fixed ones included).")
    partners: list[str] = Field(description="Its ports on the other side.")
    covered: float = Field(description="Risk on the lanes between them (cases, or incidence x traffic).")
    total: float = Field(description="Risk on every EU-China lane.")
    share: float
    curve: Table = Field(description="Coverage as the network grows, one row per size.")


@router.get("/plans", response_model=Table, summary="Stored control plans with their headline figures")
def plans(grant: ReadGrant, node: NodeDep) -> Table:
    found = plan_list(node)
    return Table(columns=found.columns, rows=found.rows)


@router.get("/plans/{plan_id}", response_model=StrataPage, summary="One page of a plan's strata")
def plan(
    plan_id: Annotated[int, PathParam(ge=0, le=MAX_ID)],
    grant: ReadGrant,
    node: NodeDep,
    offset: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> StrataPage:
    page, total = plan_strata(node, plan_id, offset=offset, limit=limit)
    return StrataPage(plan_id=plan_id, total=total, offset=offset, columns=page.columns, rows=page.rows)


@router.get("/operations", response_model=Table, summary="Stored joint operations and their evaluations")
def operations(grant: ReadGrant, node: NodeDep) -> Table:
    found = operation_list(node)
    return Table(columns=found.columns, rows=found.rows)


@router.get("/ports", response_model=PortSelectionOut, summary="Choose the KA2 ports (maximal covering)")
def ports(
    grant: ReadGrant,
    node: NodeDep,
    side: Side,
    count: Annotated[int, Query(ge=1, le=100)],
    fixed: Annotated[list[Annotated[str, Query(pattern=_LOCODE)]] | None, Query(max_length=100)] = None,
    partner_count: Annotated[int | None, Query(ge=1, le=100)] = None,
    weight: Weight = Weight.cases,
    start: Annotated[str | None, Query(alias="from", pattern=_QUARTER)] = None,
    end: Annotated[str | None, Query(alias="to", pattern=_QUARTER)] = None,
) -> PortSelectionOut:
    choice = select_key_ports(
        node, side=side.value, count=count, fixed=tuple(fixed or ()), partner_count=partner_count,
        weight=weight.value, start=start, end=end,
    )  # fmt: skip
    curve = Table(columns=choice.curve.columns, rows=choice.curve.rows)
    return PortSelectionOut(
        side=choice.side, ports=choice.ports, partners=choice.partners, covered=choice.covered,
        total=choice.total, share=choice.share, curve=curve,
    )  # fmt: skip
