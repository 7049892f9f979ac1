"""The referral pages (``/ui/referrals...``): the inbox, one referral with its history and its forms
(acknowledge, feedback, send, close: the API route's own ``take_step``), and the state of play (KPIs per port
pair). The authorisation table decides who opens each page; the referral library decides, referral by
referral, who sees it and who may take a step (a port officer: their ports only)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iprisk.codes import CONTROL_TYPES, FEEDBACK_RESULTS, IPR_TYPES
from iprisk.errors import InvalidInput, InvalidTransition, InvalidValue
from iprisk.node import Node
from iprisk.node.referrals import referral_detail, take_step
from iprisk.web.dashboard import referral_views as views
from iprisk.web.dashboard.access import Viewer, check_csrf, page
from iprisk.web.dashboard.rendering import CsrfField, NodeDep, export_links, export_route, render, router
from iprisk.web.dashboard.tables import Table, page_number, paged

ReferralId = Annotated[str, PathParam(max_length=36)]
_QUARTER = re.compile(r"^\d{4}Q[1-4]$")
#: The feedback form's fields (the feedback document's, docs/formats.md), in the form's order.
FEEDBACK_FIELDS = ("result", "control_type", "control_date", "quantity_controlled", "articles_detained",
                   "value_eur", "ipr_type_confirmed", "text")  # fmt: skip
_WHOLE = ("quantity_controlled", "articles_detained")


class Step(StrEnum):
    send = "send"
    acknowledge = "acknowledge"
    feedback = "feedback"
    close = "close"


def _state(request: Request) -> str | None:
    state = request.query_params.get("state") or None
    if state is not None and state not in views.STATES:
        raise InvalidValue(f"state {state!r}: one of {', '.join(views.STATES)}")
    return state


def _inbox_table(request: Request, viewer: Viewer, node: Node) -> Table:
    return paged(views.inbox(node, viewer.principal, _state(request)), page_number(request.query_params))


@router.get("/referrals", response_class=HTMLResponse, summary="Referrals: the inbox of one's ports or side")
def referrals(request: Request, viewer: Annotated[Viewer, page("referrals.read")], node: NodeDep) -> Response:
    text = viewer.text
    return render(
        request, viewer, "referrals.html", title=text.gettext("Referrals"),
        table=_inbox_table(request, viewer, node), states=views.STATES, state=_state(request),
        exports=export_links(request, "referrals"),
    )  # fmt: skip


export_route("referrals", "referrals.read", _inbox_table)


def _quarter(request: Request) -> str | None:
    quarter = request.query_params.get("quarter") or None
    if quarter is not None and not _QUARTER.match(quarter):
        raise InvalidValue(f"quarter {quarter!r}: a quarter such as 2026Q1")
    return quarter


def _kpi_table(request: Request, viewer: Viewer, node: Node) -> Table:
    return views.kpis(node, viewer.principal, _quarter(request))


@router.get("/referrals/kpis", response_class=HTMLResponse, summary="Referrals: the state of play")
def referral_kpis(
    request: Request, viewer: Annotated[Viewer, page("referrals.kpis")], node: NodeDep
) -> Response:
    text = viewer.text
    table = _kpi_table(request, viewer, node)
    both = viewer.principal.role.value == "coordinator"
    return render(
        request, viewer, "table.html", title=text.gettext("State of play of the referrals"), table=table,
        exports=export_links(request, "referrals/kpis"),
        intro=text.gettext("Per quarter of sending and port pair, both sides.") if both
        else text.gettext("Per quarter of sending and port pair, the referrals that touch your side."),
    )  # fmt: skip


export_route("referrals/kpis", "referrals.kpis", _kpi_table)


def _detail_page(
    request: Request, viewer: Viewer, node: Node, referral_id: str, *, status: int = 200,
    problems: InvalidInput | None = None, refused: str | None = None, form: dict[str, str] | None = None,
) -> Response:  # fmt: skip
    text = viewer.text
    shown = referral_detail(node, viewer.principal, referral_id)
    by_field: dict[str, list[Any]] = {}
    for problem in problems.problems if problems else []:
        # a rule of the whole document ("a seizure needs ...") is named after the field it is about
        where = next((f for f in (problem.column, problem.rule) if f in FEEDBACK_FIELDS), "")
        by_field.setdefault(where, []).append(problem)
    return render(
        request, viewer, "referral.html", status=status, title=text.gettext("Referral"), referral=shown,
        due=views.deadlines_of(node, shown),
        steps=views.steps_allowed(viewer.principal, shown, viewer.may("referrals.act")),
        problems=by_field, refused=refused, form=form or {}, results=FEEDBACK_RESULTS,
        control_types=CONTROL_TYPES, ipr_types=IPR_TYPES, step_labels=views.STEP_LABELS,
    )  # fmt: skip


@router.get("/referrals/{referral_id}", response_class=HTMLResponse, summary="One referral and its history")
def referral(
    request: Request,
    referral_id: ReferralId,
    viewer: Annotated[Viewer, page("referrals.read")],
    node: NodeDep,
) -> Response:
    return _detail_page(request, viewer, node, referral_id)


def _feedback_body(form: dict[str, str]) -> dict[str, Any]:
    """The feedback document from the form: empty fields left out, whole numbers and amounts as numbers when
    they read as such (anything else goes as typed, for the library to name the problem)."""
    body: dict[str, Any] = {}
    for name in FEEDBACK_FIELDS:
        value = form.get(name, "").strip()
        if not value:
            continue
        if name in _WHOLE and re.fullmatch(r"\d+", value):
            body[name] = int(value)
        elif name == "value_eur" and re.fullmatch(r"\d+(\.\d+)?", value):
            body[name] = float(value)
        else:
            body[name] = value
    return body


@router.post("/referrals/{referral_id}/{step}", response_class=HTMLResponse, summary="Take a referral step")
def referral_step(
    request: Request,
    referral_id: ReferralId,
    step: Step,
    viewer: Annotated[Viewer, page("referrals.act")],
    node: NodeDep,
    csrf_token: CsrfField = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    result: Annotated[str, Form(max_length=32)] = "",
    control_type: Annotated[str, Form(max_length=32)] = "",
    control_date: Annotated[str, Form(max_length=32)] = "",
    quantity_controlled: Annotated[str, Form(max_length=32)] = "",
    articles_detained: Annotated[str, Form(max_length=32)] = "",
    value_eur: Annotated[str, Form(max_length=32)] = "",
    ipr_type_confirmed: Annotated[str, Form(max_length=32)] = "",
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The API route's ``take_step`` (same checks, same audit entry); on refusal the page again with every
    problem next to its field."""
    check_csrf(request, viewer, csrf_token)
    form = {"result": result, "control_type": control_type, "control_date": control_date,
            "quantity_controlled": quantity_controlled, "articles_detained": articles_detained,
            "value_eur": value_eur, "ipr_type_confirmed": ipr_type_confirmed, "text": text}  # fmt: skip
    body: dict[str, Any] | None = None
    if step is Step.feedback:
        body = _feedback_body(form)
    elif step is Step.acknowledge and note.strip():
        body = {"note": note.strip()}
    try:
        take_step(node, viewer.principal, referral_id, step.value, body)
    except InvalidInput as exc:
        return _detail_page(request, viewer, node, referral_id, status=422, problems=exc, form=form)
    except InvalidTransition as exc:
        return _detail_page(request, viewer, node, referral_id, status=409, refused=str(exc), form=form)
    return RedirectResponse(f"/ui/referrals/{referral_id}", status_code=303)
