"""The dashboard's routes (``/ui/...``): each page makes one library call (``views``), renders a template and
answers; each table page has its export (``?format=csv|xlsx``) through the same view and the same action."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import Form, HTTPException, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from iprisk.errors import InvalidInput, IpriskError, NotFound, TooManyAttempts, Unauthenticated
from iprisk.i18n import Text
from iprisk.node import Node
from iprisk.web.auth import client_address
from iprisk.web.dashboard import page_charts, referral_views, views
from iprisk.web.dashboard.access import LOGIN_PATH, Viewer, check_csrf, language, page, sessions
from iprisk.web.dashboard.navigation import NAVIGATION
from iprisk.web.dashboard.prerender import chart_store
from iprisk.web.dashboard.rendering import (
    STATIC,
    CsrfField,
    NodeDep,
    ProfileId,
    export_links,
    export_route,
    is_secure,
    render,
    router,
)
from iprisk.web.dashboard.session import CSRF_COOKIE, SESSION_COOKIE, SESSION_SECONDS
from iprisk.web.dashboard.tables import Table, page_number, paged
from iprisk.web.routes import profiles as profile_routes

# -- login, logout, static files ------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse, summary="The login page")
def login_page(request: Request, next: str = "/ui/") -> Response:
    title = Text(language(request)).gettext("Log in")
    return render(request, None, "login.html", title=title, next=_safe_next(next), failed=False)


def _safe_next(target: str) -> str:
    """Only a page of the dashboard (no open redirect to another site)."""
    return target if target.startswith("/ui/") and not target.startswith("//") else "/ui/"


@router.post("/login", response_class=HTMLResponse, summary="Log in with an account's password")
def login(
    request: Request,
    node: NodeDep,
    user: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: CsrfField = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    if not sessions(request).csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and send the form again")
    try:
        principal = node.accounts.check_password(user.strip(), password, address=client_address(request))
    except TooManyAttempts as refused:
        return _throttled(request, refused, next)
    except Unauthenticated:
        title = Text(language(request)).gettext("Log in")
        return render(
            request, None, "login.html", status=401, title=title, next=_safe_next(next), failed=True
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, sessions(request).issue(principal.name), max_age=SESSION_SECONDS, httponly=True,
        samesite="strict", secure=is_secure(request), path="/",
    )  # fmt: skip
    return response


def _throttled(request: Request, refused: TooManyAttempts, next: str) -> Response:
    """The form again, saying when to try again (429, Retry-After), the same whether the account exists."""
    text = Text(language(request))
    minutes = math.ceil(refused.retry_after / 60)
    throttled = text.ngettext(
        "Too many failed attempts: try again in {minutes} minute.",
        "Too many failed attempts: try again in {minutes} minutes.",
        minutes,
        minutes=minutes,
    )
    response = render(
        request, None, "login.html", status=429, title=text.gettext("Log in"), next=_safe_next(next),
        failed=False, throttled=throttled,
    )  # fmt: skip
    response.headers["Retry-After"] = str(refused.retry_after)
    return response


@router.post("/logout", summary="Log out")
def logout(request: Request, csrf_token: CsrfField = "") -> Response:
    if not sessions(request).csrf_ok(request.cookies.get(CSRF_COOKIE), csrf_token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and send the form again")
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/static/{name}", summary="The dashboard's style sheet and script (shipped in the package)")
def static(
    name: Annotated[str, PathParam(max_length=64, pattern=r"^[a-z0-9_-]+\.(css|js|svg)$")],
) -> Response:
    path = STATIC / name
    if not path.is_file():
        raise HTTPException(404, f"no static file {name}")
    response = FileResponse(path)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _overview_table(request: Request, viewer: Viewer, node: Node) -> Table:
    return (
        views.overview(node, viewer.grant)
        if viewer.grant.ports() is None
        else views.lanes(node, viewer.grant, {})
    )


@router.get(
    "/", response_class=HTMLResponse, summary="Overview: cases, articles, value; signals; submissions"
)
def overview(request: Request, viewer: Annotated[Viewer, page("analysis.read")], node: NodeDep) -> Response:
    text = viewer.text
    table = _overview_table(request, viewer, node)
    chart = None
    signals = missing = None
    if viewer.grant.ports() is None:
        chart = page_charts.overview_chart(chart_store(node), table, text)
        signals = _optional(lambda: views.signals(node, viewer.grant, text))
        if viewer.may("submissions.read"):
            missing = views.missing_in_log(node)
    who = viewer.principal
    return render(
        request, viewer, "overview.html", title=text.gettext("Overview"), table=table, chart=chart,
        signals=signals, missing=missing, exports=export_links(request, "overview"),
        referral_kpis=referral_views.headline(node, who) if viewer.may("referrals.kpis") else None,
        inbox=referral_views.open_counts(node, who) if viewer.grant.ports() is not None else None,
    )  # fmt: skip


def _optional(build: Callable[[], Table]) -> Table | None:
    """A side table of a page: absent (not an error) when the analysis has not been run yet."""
    try:
        return build()
    except IpriskError:
        return None


export_route("overview", "analysis.read", _overview_table)


def _trend_table(request: Request, viewer: Viewer, node: Node) -> Table:
    every_row = views.trends(node, viewer.grant, views.TrendQuery.parse(request.query_params))
    return paged(every_row, page_number(request.query_params))


@router.get("/trends", response_class=HTMLResponse, summary="Trends: any dimension over quarters, filtered")
def trends(request: Request, viewer: Annotated[Viewer, page("analysis.read")], node: NodeDep) -> Response:
    text = viewer.text
    query = views.TrendQuery.parse(request.query_params)
    every_row = views.trends(node, viewer.grant, query)  # the chart draws them all, the table pages them
    table = paged(every_row, page_number(request.query_params))
    return render(
        request, viewer, "trends.html", title=text.gettext("Trends"), table=table, query=query,
        chart=page_charts.trends_chart(chart_store(node), every_row, query, text),
        chart_title=page_charts.trends_title(query, text),
        dimensions=views.DIMENSIONS, metrics=views.METRICS, metric_labels=views.METRIC_LABELS,
        dimension_message=views.dimension_message, exports=export_links(request, "trends"),
    )  # fmt: skip


export_route("trends", "analysis.read", _trend_table)


def _event(request: Request) -> str | None:
    return request.query_params.get("event") or None


def _signal_table(request: Request, viewer: Viewer, node: Node) -> Table:
    return views.signals(node, viewer.grant, viewer.text, _event(request))


@router.get("/signals", response_class=HTMLResponse, summary="Emerging risks: the signals, explained")
def signals(request: Request, viewer: Annotated[Viewer, page("analysis.read")], node: NodeDep) -> Response:
    text = viewer.text
    event = _event(request)
    table, trends = views.signals_and_trends(node, viewer.grant, text, event)
    intro = text.gettext(
        "Segments whose counts left their expected range; a point opens the segment's trend, a rank the "
        "signals of its event."
    )
    if event:
        intro = text.gettext(
            "The signals of event {event}: its headline and the related signals it explains.", event=event
        )
    return render(
        request, viewer, "table.html", title=text.gettext("Emerging risks"), table=table,
        chart=page_charts.signals_chart(chart_store(node), table, trends, text),
        exports=export_links(request, "signals"),
        intro=intro,
    )  # fmt: skip


export_route("signals", "analysis.read", _signal_table)


def _lane_table(request: Request, viewer: Viewer, node: Node) -> Table:
    lane = request.query_params.get("lane")
    return views.lanes(node, viewer.grant, {"lane": lane} if lane else {})


@router.get("/lanes", response_class=HTMLResponse, summary="Lanes: the KA3 map and the incidence table")
def lanes(request: Request, viewer: Annotated[Viewer, page("analysis.read")], node: NodeDep) -> Response:
    text = viewer.text
    table = _lane_table(request, viewer, node)
    lane = request.query_params.get("lane") or None
    every_lane = views.lanes(node, viewer.grant, {}) if lane else table  # the map shows them all
    return render(
        request, viewer, "lanes.html", title=text.gettext("Lanes"), table=table, lane=lane,
        chart=page_charts.lanes_chart(chart_store(node), every_lane, text, lane),
        chart_title=page_charts.lanes_title(text),
        exports=export_links(request, "lanes"),
    )  # fmt: skip


export_route("lanes", "analysis.read", _lane_table)


def _submission_table(request: Request, viewer: Viewer, node: Node) -> Table:
    params = request.query_params
    return views.submissions(node, params.get("admin") or None, params.get("quarter") or None)


@router.get("/submissions", response_class=HTMLResponse, summary="Submissions: log, versions, upload")
def submissions(
    request: Request, viewer: Annotated[Viewer, page("submissions.read")], node: NodeDep
) -> Response:
    return _submissions_page(request, viewer, node)


def _submissions_page(
    request: Request, viewer: Viewer, node: Node, *, problems: InvalidInput | None = None, stored: Any = None,
    status: int = 200,
) -> Response:  # fmt: skip
    text = viewer.text
    table = _submission_table(request, viewer, node)
    return render(
        request, viewer, "submissions.html", status=status, title=text.gettext("Submissions"), table=table,
        missing=views.missing_submissions(table), problems=problems, stored=stored,
        missing_labels=lambda pairs: [f"{text.country(a)} {text.quarter(q)}" for a, q in pairs],
        exports=export_links(request, "submissions"),
    )  # fmt: skip


export_route("submissions", "submissions.read", _submission_table)


@router.post("/submissions", response_class=HTMLResponse, summary="Upload a quarterly submission")
def upload(
    request: Request,
    viewer: Annotated[Viewer, page("submissions.create")],
    node: NodeDep,
    file: UploadFile,
    csrf_token: CsrfField = "",
) -> Response:
    """The node's submission call (as ``POST /submissions``); on failure the problems, row by row."""
    from iprisk.web.routes.submissions import submit

    check_csrf(request, viewer, csrf_token)
    try:
        result = submit(viewer.grant, node, file)
    except InvalidInput as exc:
        return _submissions_page(request, viewer, node, problems=exc, status=422)
    return _submissions_page(request, viewer, node, stored=result, status=201)


def _profile_table(request: Request, viewer: Viewer, node: Node) -> Table:
    return views.profiles(node)


@router.get("/profiles", response_class=HTMLResponse, summary="Profiles: lifecycle and joint approval")
def profiles(request: Request, viewer: Annotated[Viewer, page("profiles.read")], node: NodeDep) -> Response:
    text = viewer.text
    return render(
        request, viewer, "profiles.html", title=text.gettext("Profiles"),
        table=_profile_table(request, viewer, node),
        exports=export_links(request, "profiles"),
    )  # fmt: skip


export_route("profiles", "profiles.read", _profile_table)


def _step_route(step: str, action: str, take: Callable[..., Any], body: Callable[[], Any]) -> None:
    """A lifecycle button: the API route's own call (same rules, same audit), then back to the profile."""

    def take_step(
        request: Request,
        profile_id: ProfileId,
        node: NodeDep,
        csrf_token: CsrfField = "",
        viewer: Viewer = page(action),  # noqa: B008
    ) -> Response:
        check_csrf(request, viewer, csrf_token)
        take(profile_id, body(), viewer.grant, node)
        response = RedirectResponse(f"/ui/profiles?id={profile_id}", status_code=303)
        return response

    router.add_api_route(
        f"/profiles/{{profile_id}}/{step}", take_step, methods=["POST"], summary=f"Profile: {step}",
        response_class=Response, name=f"profile_{step}",
    )  # fmt: skip


_step_route("propose", "profiles.propose", profile_routes.propose, profile_routes.Step)
_step_route("approve", "profiles.decide", profile_routes.approve, profile_routes.Approval)
_step_route("reject", "profiles.decide", profile_routes.reject, profile_routes.Step)
_step_route("activate", "profiles.activate", profile_routes.activate, profile_routes.Step)


def _report_table(request: Request, viewer: Viewer, node: Node) -> Table:
    if viewer.grant.ports() is not None:  # as the API answers for a table that names no port
        raise NotFound("reports", "for an account limited to ports (they cover every port)")
    return views.reports(node)


@router.get("/reports", response_class=HTMLResponse, summary="Reports: summaries and charts, both languages")
def reports(request: Request, viewer: Annotated[Viewer, page("analysis.read")], node: NodeDep) -> Response:
    text = viewer.text
    return render(
        request, viewer, "table.html", title=text.gettext("Reports"),
        table=_report_table(request, viewer, node),
        chart=None, exports=None,
    )  # fmt: skip


@router.get("/reports/{name}", summary="Download one report file")
def report_file(
    request: Request,
    name: Annotated[str, PathParam(max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")],
    viewer: Annotated[Viewer, page("analysis.read")],
    node: NodeDep,
) -> Response:
    listed = {row[0] for row in _report_table(request, viewer, node).rows}
    if name not in listed:
        raise HTTPException(404, f"no report {name}")
    return FileResponse(Path(node.settings.analysis_folder) / name, filename=name)


__all__ = ["NAVIGATION", "router"]
