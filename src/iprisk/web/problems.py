"""Every error answered as RFC 9457 problem details (``application/problem+json``).

Errors iprisk raises map to a status through the one error map of :mod:`iprisk.errors`
(:func:`~iprisk.errors.http_status`, :func:`~iprisk.errors.problem_details`), the one the command line takes
its exit codes from; the body carries the same problem rows (row, column, value, rule) as the command line.
Anything else is a bug: 500 with no internals. HTTP-level errors (unknown route, method,
authentication) and request validation errors are answered in the same shape, the latter with one problem
row per invalid field.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from iprisk import errors
from iprisk.errors import IpriskError, TooManyAttempts, Unauthenticated

PROBLEM_JSON = "application/problem+json"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem(status: int, title: str, detail: str, *, slug: str, **extra: Any) -> ProblemResponse:
    """A problem+json response (``type`` is ``urn:iprisk:error:<slug>``)."""
    body = {"type": f"urn:iprisk:error:{slug}", "title": title, "status": status, "detail": detail, **extra}
    return ProblemResponse(body, status_code=status)


_HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    413: ("too-large", "Request too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("invalid-request", "Invalid request"),
    429: ("too-many-attempts", "Too many failed attempts"),
}


def _http_error(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, HTTPException)
    slug, title = _HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
    response = problem(exc.status_code, title, str(exc.detail), slug=slug, instance=request.url.path)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


def _validation_error(request: Request, exc: Exception) -> ProblemResponse:
    """Request fields that do not validate: one problem row each (column = where, rule = pydantic's type)."""
    assert isinstance(exc, RequestValidationError)
    rows = [
        {
            "rule": str(error.get("type", "invalid")),
            "message": str(error.get("msg", "")),
            "row": None,
            "column": ".".join(str(part) for part in error.get("loc", ())),
            "value": None,
            "file": None,
        }
        for error in exc.errors()
    ]
    return problem(
        422,
        "Invalid request",
        f"{len(rows)} problem(s) in the request",
        slug="invalid-request",
        instance=request.url.path,
        total=len(rows),
        problems=rows,
    )


def _mapped_error(request: Request, exc: Exception) -> ProblemResponse:
    """An error iprisk raised, or a bug: the status and body from the one error map (the CLI's exit codes
    come from the same rows), problem rows included, an unexpected error's internals never shown."""
    body = errors.problem_details(exc, instance=request.url.path)
    response = ProblemResponse(body, status_code=errors.http_status(exc))
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.retry_after)
    elif isinstance(exc, Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="iprisk"'
    return response


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IpriskError, _mapped_error)
    # Starlette still re-raises it after answering, so that the server logs the bug.
    app.add_exception_handler(Exception, _mapped_error)
