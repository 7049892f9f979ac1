"""The targeting page (``/ui/targeting``): upload a declarations file, see the lines of a day ranked by the
node's model with their reasons and matched profiles, and how well the ranking did when the file was
labelled. Scoped by port for port officers (the lines of their offices and ports)."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

from fastapi import Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iprisk.errors import InvalidInput, NotFound, Problem
from iprisk.node import Node
from iprisk.web.dashboard import targeting_views as views
from iprisk.web.dashboard.access import Viewer, check_csrf, page
from iprisk.web.dashboard.rendering import CsrfField, NodeDep, export_links, export_route, render, router
from iprisk.web.dashboard.tables import Table

#: Largest declarations file the page scores (the command line takes any size).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _chosen(request: Request, node: Node) -> str | None:
    """The list of the URL, else the newest one."""
    found = request.query_params.get("list") or None
    if found is None:
        newest = views.lists(node)
        return newest[0] if newest else None
    return found


def _selection(request: Request, viewer: Viewer, node: Node) -> views.Selection | None:
    list_id = _chosen(request, node)
    if list_id is None:
        return None
    return views.selection(node, viewer.grant, list_id, request.query_params.get("day") or None)


def _export_table(request: Request, viewer: Viewer, node: Node) -> Table:
    chosen = _selection(request, viewer, node)
    if chosen is None:
        raise NotFound("selection list", "none scored on this node yet")
    return chosen.table


def _page(
    request: Request, viewer: Viewer, node: Node, *, problems: InvalidInput | None = None, status: int = 200
) -> Response:
    text = viewer.text
    chosen = _selection(request, viewer, node)
    list_id = _chosen(request, node)
    has_model = node.settings.targeting_model is not None
    return render(
        request, viewer, "targeting.html", status=status, title=text.gettext("Targeting"), selection=chosen,
        list_id=list_id, lists=views.lists(node), has_model=has_model, problems=problems,
        may_score=viewer.may("targeting.score"),
        effectiveness=views.effectiveness(node, list_id) if list_id else None,
        exports=export_links(request, "targeting") if chosen and chosen.table.rows else None,
    )  # fmt: skip


@router.get("/targeting", response_class=HTMLResponse, summary="Targeting: a port's selection list for a day")
def targeting(request: Request, viewer: Annotated[Viewer, page("analysis.read")], node: NodeDep) -> Response:
    return _page(request, viewer, node)


export_route("targeting", "analysis.read", _export_table)


@router.post("/targeting", response_class=HTMLResponse, summary="Score a declarations file with the model")
def score(
    request: Request,
    viewer: Annotated[Viewer, page("targeting.score")],
    node: NodeDep,
    file: UploadFile,
    csrf_token: CsrfField = "",
) -> Response:
    """The declarations file scored by the node's model (``score_declarations``); on failure every problem
    row by row; on success the day's list of the new scores."""
    check_csrf(request, viewer, csrf_token)
    views.model_folder(node)  # 404 before reading anything when the node has no model
    name = Path(file.filename or "declarations.csv").name
    content = file.file.read(MAX_UPLOAD_BYTES + 1)
    try:
        if len(content) > MAX_UPLOAD_BYTES:
            raise InvalidInput([Problem("size", f"larger than {MAX_UPLOAD_BYTES} bytes", file=name)])
        with tempfile.TemporaryDirectory(prefix="iprisk-score-") as folder:
            path = Path(folder) / name
            path.write_bytes(content)
            list_id = views.score_file(node, path, content)
        views.expire(node)
    except InvalidInput as exc:  # the problems name the file as uploaded, not the node's temporary copy
        named = InvalidInput([replace(p, file=name) for p in exc.problems], source=name, total=exc.total)
        return _page(request, viewer, node, problems=named, status=422)
    return RedirectResponse(f"/ui/targeting?list={list_id}", status_code=303)
