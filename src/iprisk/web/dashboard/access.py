"""Who looks at a page, in which language, and what the authorisation table lets them see.

Every page and export declares its action with ``viewer: Annotated[Viewer, page("...")]`` — the same table
(:mod:`iprisk.accounts`) and the same marker as the API's ``require`` (``action_of`` reads it back, so the
authorisation test walks the pages too). A person is known by the session cookie of the login page; a
program may still send its API token. Nobody known: a browser (``Accept: text/html``) is sent to the login
page, anything else gets 401; a role the table leaves out gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from iprisk.accounts import Grant, Principal, authorize, permission
from iprisk.errors import InvalidValue, IpriskError
from iprisk.i18n import DEFAULT_LOCALE, Text, check_locale
from iprisk.web.auth import authenticate, get_node
from iprisk.web.dashboard.session import CSRF_COOKIE, SESSION_COOKIE, Sessions, session_key

LANG_COOKIE = "iprisk_lang"
_BEARER = HTTPBearer(auto_error=False, description="An API token, for programs; people log in at /ui/login")
LOGIN_PATH = "/ui/login"


def sessions(request: Request) -> Sessions:
    """The app's session signer (one per app: the key is read once from the node's key folder)."""
    state = request.app.state
    if getattr(state, "dashboard_sessions", None) is None:
        state.dashboard_sessions = Sessions(session_key(get_node(request).settings.key_folder))
    found: Sessions = state.dashboard_sessions
    return found


def language(request: Request) -> str:
    """``?lang=``, else the language cookie, else the browser's Accept-Language, else English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate:
            try:
                return check_locale(candidate)
            except InvalidValue:
                continue
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip()
        try:
            return check_locale(tag) if tag else DEFAULT_LOCALE
        except InvalidValue:
            try:
                return check_locale(tag.split("-")[0])
            except InvalidValue:
                continue
    return DEFAULT_LOCALE


def session_principal(request: Request) -> Principal | None:
    """The account of a valid session cookie (re-read: a disabled account is logged out at once)."""
    name = sessions(request).user_of(request.cookies.get(SESSION_COOKIE))
    if name is None:
        return None
    try:
        user = get_node(request).accounts.user(name)
    except IpriskError:
        return None
    if not user.active:
        return None
    return Principal(user.name, user.role, user.administration, frozenset(user.ports))


@dataclass(frozen=True)
class Viewer:
    """A page's caller: the grant of the page's action, the language, and how it authenticated."""

    grant: Grant
    text: Text
    by_session: bool

    @property
    def principal(self) -> Principal:
        return self.grant.principal

    def may(self, action: str) -> bool:
        """Whether the table lets this viewer do ``action`` (to show a button or a menu entry)."""
        return self.principal.role in permission(action).grants


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _login_redirect(request: Request) -> HTTPException:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return HTTPException(303, "login required", headers={"Location": f"{LOGIN_PATH}?next={quote(target)}"})


def page(action: str) -> Any:
    """The dependency of a page or export that shows ``action``'s data."""
    permission(action)

    def check(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)]
    ) -> Viewer:
        principal = None if credentials is not None else session_principal(request)
        if principal is None:
            if credentials is None and _wants_html(request):
                raise _login_redirect(request)
            principal = authenticate(request, credentials)  # 401 without a valid token
        request.state.principal = principal
        grant = authorize(principal, action)
        return Viewer(grant, Text(language(request)), by_session=credentials is None)

    check.action = action  # type: ignore[attr-defined]
    return Depends(check)


def check_csrf(request: Request, viewer: Viewer, token: str | None) -> None:
    """A form posted from a session must carry the page's CSRF token (an API token needs none)."""
    if viewer.by_session and not sessions(request).csrf_ok(request.cookies.get(CSRF_COOKIE), token):
        raise HTTPException(403, "missing or wrong CSRF token: reload the page and send the form again")
