"""``create_app``: the node's FastAPI application, thin, built from the settings and the router list."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from iprisk.link.service import install_channel
from iprisk.node import Node
from iprisk.settings import Settings, get_settings
from iprisk.web.idempotency import IdempotencyMiddleware
from iprisk.web.problems import install_problem_handlers
from iprisk.web.routes import ROUTERS
from iprisk.web.telemetry import TelemetryMiddleware

#: Where Swagger UI's script and style are served from (shipped by fastapi-offline: no CDN at run time).
DOCS_ASSETS = "/docs/assets"


def create_app(settings: Settings | None = None, *, node: Node | None = None) -> FastAPI:
    """The node's app for ``settings`` (default: the process settings). Routes come from ``ROUTERS``.

    The node is opened here, so that a setting at fault stops the service at start with an error naming it
    (``node`` may be given instead, e.g. with a test clock); it is closed when the app shuts down.
    """
    settings = settings or get_settings()
    opened = node or Node.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        from iprisk.web.dashboard.prerender import Warmer  # here: the dashboard's package imports the routes

        charts = Warmer(opened)  # the dashboard's charts drawn ahead of the first visitor
        if opened.settings.dashboard_prerender:
            charts.start()
        yield
        charts.stop()
        opened.close()

    app = FastAPIOffline(
        title="iprisk node",
        version=version("iprisk"),
        description="The iprisk node of one administration: accounts, submissions, profiles, audit.",
        docs_url="/docs",
        redoc_url=None,
        static_url=DOCS_ASSETS,
        favicon_url=f"{DOCS_ASSETS}/favicon.png",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.node = opened
    install_problem_handlers(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(TelemetryMiddleware)  # outermost: it also sees replays and refusals
    for router in ROUTERS:
        app.include_router(router)
    install_channel(app, opened)  # the node answers its peer and delivers in the background
    return app
