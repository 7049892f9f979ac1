"""``GET /health``: the node answers (for load balancers and the operator's checks); no authentication."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter, Request
from pydantic import BaseModel

router = APIRouter(tags=["node"])


class Health(BaseModel):
    status: str
    node: str | None
    version: str


@router.get("/health", response_model=Health, summary="The node is up")
def health(request: Request) -> Health:
    return Health(status="ok", node=request.app.state.settings.node, version=version("iprisk"))
