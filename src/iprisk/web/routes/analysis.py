"""``GET /analysis/{table}``: the precomputed analysis tables (trends, signals, lanes...), filtered and paged.

Any query parameter other than ``offset`` and ``limit`` filters on the column of that name (equality, as
text), so a view is its URL. A port officer sees only the rows naming its ports, and only tables that name
ports (``lanes``, ``concentration`` by office).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from iprisk.accounts import Grant
from iprisk.node import Node
from iprisk.node.analysis import analysis_page
from iprisk.web.auth import get_node, require
from iprisk.web.params import MAX_INDEX

router = APIRouter(tags=["analysis"])
NodeDep = Annotated[Node, Depends(get_node)]
_PAGING = {"offset", "limit"}


class Page(BaseModel):
    table: str
    columns: list[str]
    rows: list[list[Any]]
    total: int = Field(description="Rows matching the filters, before paging.")
    offset: int
    filters: dict[str, str]


@router.get("/analysis/{table}", response_model=Page, summary="One page of an analysis table")
def analysis_table(
    request: Request,
    table: Annotated[str, PathParam(max_length=32)],
    grant: Annotated[Grant, require("analysis.read")],
    node: NodeDep,
    offset: Annotated[int, Query(ge=0, le=MAX_INDEX)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Page:
    filters = {k: v for k, v in request.query_params.items() if k not in _PAGING}
    page = analysis_page(
        node.settings.analysis_folder, table, filters=filters, ports=grant.ports(), offset=offset, limit=limit
    )
    return Page(**page.__dict__)
