"""What the node tells its operator about requests: Prometheus metrics and one JSON log line per request.

Both are labelled by the route's **template** (``/users/{name}/disable``), never the path a client sent, and
carry no query string, client address, account name or credential: logs and metrics hold no secrets and no
personal data (a test checks). ``REGISTRY`` is the node's metric registry; the channel adds its own metrics
(messages by state, delivery latency, retries, refusals) to it.

With several uvicorn workers, each worker serves its own counters on ``/metrics``.
"""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

REQUESTS = Counter(
    "iprisk_http_requests", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"], registry=REGISTRY,
)  # fmt: skip
LATENCY = Histogram(
    "iprisk_http_request_duration_seconds", "Time to answer an HTTP request, by method and route template.",
    ["method", "route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)  # fmt: skip

ACCESS = logging.getLogger("iprisk.web.access")
UNMATCHED = "<unmatched>"

router = APIRouter(tags=["node"])


@router.get("/metrics", summary="Metrics in the Prometheus text format", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)


def _route_template(scope: Scope) -> str:
    """The template of the route that matches (what Starlette routed, or the first full match)."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return str(route.path)
    app = scope.get("app")
    for candidate in getattr(getattr(app, "router", None), "routes", []):
        match, _ = candidate.matches(scope)
        if match is Match.FULL and hasattr(candidate, "path"):
            return str(candidate.path)
    return UNMATCHED


class TelemetryMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            elapsed = time.perf_counter() - start
            route, method = _route_template(scope), scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            principal = getattr(scope.get("state", {}).get("principal"), "role", None)
            ACCESS.info(
                "request",
                extra={
                    "method": method, "route": route, "status": status,
                    "duration_ms": round(elapsed * 1000, 2), "role": principal.value if principal else None,
                },
            )  # fmt: skip
