"""What every dashboard page shares: the router, rendering a template in the viewer's language with the
security headers and cookies, and "export this view" routes made from the same table builder as the page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from iprisk.codes import ALL_LISTS
from iprisk.i18n import Text
from iprisk.node import Node
from iprisk.web.auth import get_node
from iprisk.web.dashboard.access import LANG_COOKIE, Viewer, language, page, sessions
from iprisk.web.dashboard.export import MEDIA_TYPES, ExportFormat, export_bytes
from iprisk.web.dashboard.navigation import nav_entries
from iprisk.web.dashboard.session import CSRF_COOKIE, CSRF_FIELD, new_csrf_cookie
from iprisk.web.dashboard.tables import NUMBER_KINDS, Column, Table, cell, display

router = APIRouter(prefix="/ui", tags=["dashboard"])
NodeDep = Annotated[Node, Depends(get_node)]
ProfileId = Annotated[str, PathParam(max_length=64)]
CsrfField = Annotated[str, Form(max_length=128)]
STATIC = Path(__file__).with_name("static")
#: Content Security Policy: every script, style, font and image comes from the node; no inline script.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_ENV = Environment(
    loader=PackageLoader("iprisk.web.dashboard", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _lang_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = lang
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request, viewer: Viewer | None, template: str, status: int = 200, **context: Any
) -> Response:
    """A page in the viewer's language with the security headers, the language and CSRF cookies set."""
    text = viewer.text if viewer is not None else Text(language(request))
    csrf_cookie = request.cookies.get(CSRF_COOKIE) or new_csrf_cookie()
    html = _ENV.get_template(template).render(
        text=text,
        gettext=text.gettext,
        viewer=viewer,
        nav=nav_entries(viewer) if viewer is not None else [],
        path=request.url.path,
        lang_links={lang: _lang_url(request, lang) for lang in ("en", "zh")},
        csrf_field=CSRF_FIELD,
        csrf_token=sessions(request).csrf_token(csrf_cookie),
        cells=display,
        code_label=lambda name, code: text.label(ALL_LISTS[name], code),
        codes_of=lambda name, codes: [text.label(ALL_LISTS[name], c) for c in codes],
        port_name=lambda code: cell(Column("port", "port"), code, text),
        when=lambda at: cell(Column("at", "datetime"), at, text),
        day=lambda iso: cell(Column("day", "date"), iso, text),
        number_kinds=NUMBER_KINDS,
        page_url=lambda params, page: f"{request.url.path}?{urlencode({**params, 'page': page})}",
        params=dict(request.query_params),
        **{"chart": None, "intro": None, "notice": None, "exports": None, **context},
    )
    response = HTMLResponse(html, status_code=status)
    _headers(response)
    secure = is_secure(request)
    if CSRF_COOKIE not in request.cookies:
        response.set_cookie(
            CSRF_COOKIE, csrf_cookie, httponly=True, samesite="strict", secure=secure, path="/ui"
        )
    if "lang" in request.query_params:
        response.set_cookie(LANG_COOKIE, text.locale, samesite="strict", secure=secure, path="/ui",
                            max_age=365 * 86400)  # fmt: skip
    return response


def _headers(response: Response) -> None:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"


# -- table pages and their exports ------------------------------------------------------------


def _export(table: Table, fmt: ExportFormat, name: str) -> Response:
    body = export_bytes(table, fmt, name)
    disposition = f'attachment; filename="iprisk-{name}.{fmt.value}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={"Content-Disposition": disposition})


def export_route(name: str, action: str, build: Callable[[Request, Viewer, Node], Table]) -> None:
    # (closures take their dependency as a default: a postponed annotation could not see ``action``)
    def export(
        request: Request,
        node: NodeDep,
        viewer: Viewer = page(action),  # noqa: B008
        format: ExportFormat = ExportFormat.csv,
    ) -> Response:
        return _export(build(request, viewer, node), format, name.replace("/", "-"))

    router.add_api_route(
        f"/{name}/export", export, methods=["GET"], summary=f"Export the {name} view (CSV or XLSX)",
        response_class=Response, name=f"export_{name.replace('/', '_')}",
    )  # fmt: skip


def export_links(request: Request, name: str) -> dict[str, str]:
    params = {k: v for k, v in request.query_params.items() if k != "lang"}
    return {
        fmt.value: f"/ui/{name}/export?{urlencode({**params, 'format': fmt.value})}" for fmt in ExportFormat
    }
