"""The form that drafts a referral warning (``/ui/warning``, issue 11's "the officer edits and sends it"):
prefilled from a line of a scored declarations list (the targeting page links each line here), edited by the
officer and drafted through the API route's own call (:func:`iprisk.node.referrals.draft_referral`: the same
checks against the port network, the same audit entry). A refused warning comes back with each problem
beside its field (``aria-invalid``); a drafted one opens its referral page, where it is sent."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iprisk.codes import (
    HANDLING_CODES,
    IPR_TYPES,
    LEGAL_BASES,
    REQUESTED_ACTIONS,
    RISK_INDICATORS,
    TRANSPORT_DOCUMENTS,
    TRANSPORT_MODES,
)
from iprisk.errors import InvalidInput
from iprisk.i18n import N_
from iprisk.node import Node
from iprisk.node.referrals import draft_referral
from iprisk.web.dashboard import targeting_views
from iprisk.web.dashboard.access import Viewer, check_csrf, page
from iprisk.web.dashboard.rendering import NodeDep, render, router

#: The form's fields, in its order: the warning's (docs/formats.md), the transport document as two fields.
FIELDS = ("sending_port", "receiving_port", "transport_mode", "document_type", "document_number",
          "departure_port", "arrival_port", "expected_arrival", "origin_country", "hs_code", "description",
          "quantity", "value_eur", "ipr_type", "right", "indicators", "reasons", "profile_ids", "score",
          "requested_action", "legal_basis", "handling_code", "expiry")  # fmt: skip
_LIST_FIELDS = ("indicators",)
_NUMBERS = {"quantity": int, "value_eur": float, "score": float}
_NUMBER = re.compile(r"^\d+(\.\d+)?$")
#: Each field's label (a message of the catalog).
LABELS = {
    "sending_port": N_("sending port (UN/LOCODE)"), "receiving_port": N_("receiving port (UN/LOCODE)"),
    "transport_mode": N_("transport mode"), "document_type": N_("transport document"),
    "document_number": N_("document number"), "departure_port": N_("port of departure"),
    "arrival_port": N_("port of arrival"), "expected_arrival": N_("expected arrival"),
    "origin_country": N_("country of origin"), "hs_code": N_("HS code"),
    "description": N_("description of the goods"), "quantity": N_("quantity"), "value_eur": N_("value (EUR)"),
    "ipr_type": N_("IPR type"), "right": N_("right"), "indicators": N_("risk indicators"),
    "reasons": N_("reasons"), "profile_ids": N_("profiles (comma-separated)"), "score": N_("score"),
    "requested_action": N_("requested action"), "legal_basis": N_("legal basis"),
    "handling_code": N_("handling code"), "expiry": N_("expiry"),
}  # fmt: skip
_DATES = ("expected_arrival", "expiry")
_LONG = ("description", "reasons")
#: The code list of each select (the template shows their labels in the page's language).
CHOICES = {
    "transport_mode": ("transport_mode", TRANSPORT_MODES),
    "document_type": ("transport_document", TRANSPORT_DOCUMENTS),
    "ipr_type": ("ipr_type", IPR_TYPES), "indicators": ("risk_indicator", RISK_INDICATORS),
    "requested_action": ("requested_action", REQUESTED_ACTIONS), "legal_basis": ("legal_basis", LEGAL_BASES),
    "handling_code": ("handling_code", HANDLING_CODES),
}  # fmt: skip


def prefill(node: Node, viewer: Viewer, list_id: str | None, declaration: str | None) -> dict[str, Any]:
    """The form's values from a line of a scored list the viewer may see (nothing when none is named)."""
    if not list_id or not declaration:
        return {"indicators": []}
    table = targeting_views.selection_line(node, viewer.grant, list_id, declaration)
    office = str(table.get("office") or "")
    reasons = str(table.get("top_reasons") or "")
    return {
        "sending_port": office, "departure_port": str(table.get("departure_port") or ""),
        "arrival_port": str(table.get("arrival_port") or ""), "hs_code": str(table.get("hs_code") or ""),
        "origin_country": str(table.get("origin_country") or ""),
        "value_eur": "" if table.get("value") is None else str(table["value"]),
        "score": f"{float(table['score']):.3f}" if table.get("score") is not None else "",
        "profile_ids": str(table.get("matched_profiles") or ""),
        "reasons": f"Declaration {declaration}: {reasons}" if reasons else f"Declaration {declaration}",
        "indicators": ["high_score", *(["profile_match"] if table.get("matched_profiles") else [])],
    }  # fmt: skip


def warning_body(form: dict[str, Any]) -> dict[str, Any]:
    """The warning document from the form: empty fields left out, numbers as numbers when they read as such
    (anything else goes as typed, for the library to name the problem)."""
    body: dict[str, Any] = {}
    for name in FIELDS:
        value = form.get(name)
        if name in _LIST_FIELDS:
            if value:
                body[name] = list(value)
            continue
        value = str(value or "").strip()
        if not value or name in ("document_type", "document_number"):
            continue
        if name == "profile_ids":
            body[name] = [p.strip() for p in value.split(",") if p.strip()]
        elif name in _NUMBERS and _NUMBER.match(value):
            body[name] = _NUMBERS[name](float(value)) if name == "quantity" else float(value)
        else:
            body[name] = value
    kind, number = str(form.get("document_type") or ""), str(form.get("document_number") or "").strip()
    if kind or number:
        body["transport_documents"] = [{"type": kind, "number": number}]
    return body


def _field_of(problem: Any) -> str:
    """The form field a problem is about ("" for the whole document)."""
    column = str(problem.column or "")
    head = column.split(".")[0].split("[")[0]
    if head == "transport_documents":
        return "document_number" if column.endswith("number") else "document_type"
    return head if head in FIELDS else ""


def _form_page(
    request: Request, viewer: Viewer, form: dict[str, Any], problems: InvalidInput | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    by_field: dict[str, list[Any]] = {}
    for problem in problems.problems if problems else []:
        by_field.setdefault(_field_of(problem), []).append(problem)
    return render(
        request, viewer, "warning.html", status=status, title=viewer.text.gettext("Draft a warning"),
        form=form, problems=by_field, choices=CHOICES, fields=FIELDS, labels=LABELS, dates=_DATES, long=_LONG,
    )  # fmt: skip


@router.get("/warning", response_class=HTMLResponse, summary="The form that drafts a referral warning")
def warning_form(
    request: Request, viewer: Annotated[Viewer, page("referrals.draft")], node: NodeDep
) -> Response:
    params = request.query_params
    return _form_page(request, viewer, prefill(node, viewer, params.get("list"), params.get("declaration")))


@router.post("/warning", response_class=HTMLResponse, summary="Draft a referral warning")
async def draft_warning(
    request: Request, viewer: Annotated[Viewer, page("referrals.draft")], node: NodeDep
) -> Response:
    """The API route's call on the form's warning; the referral's page when drafted, else the form again
    with each problem beside its field."""
    submitted = await request.form()
    check_csrf(request, viewer, str(submitted.get("csrf_token") or ""))
    form: dict[str, Any] = {
        name: [str(v) for v in submitted.getlist(name)]
        if name in _LIST_FIELDS
        else str(submitted.get(name) or "")
        for name in FIELDS
    }
    try:
        drafted = draft_referral(node, viewer.principal, warning_body(form))
    except InvalidInput as exc:
        if not viewer.by_session:
            raise  # an API client (token, no browser) gets the problem+json of the error map, not a page
        return _form_page(request, viewer, form, exc, status=422)
    return RedirectResponse(f"/ui/referrals/{drafted['id']}", status_code=303)
