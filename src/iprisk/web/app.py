"""``create_app``: the node's FastAPI application, thin, built from the settings and the router list."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from iprisk.settings import Settings, get_settings
from iprisk.web.problems import install_problem_handlers
from iprisk.web.routes import ROUTERS

#: Where Swagger UI's script and style are served from (shipped by fastapi-offline: no CDN at run time).
DOCS_ASSETS = "/docs/assets"


def create_app(settings: Settings | None = None) -> FastAPI:
    """The node's app for ``settings`` (default: the process settings). Routes come from ``ROUTERS``."""
    settings = settings or get_settings()
    app = FastAPIOffline(
        title="iprisk node",
        version=version("iprisk"),
        description="The iprisk node of one administration: accounts, submissions, profiles, audit.",
        docs_url="/docs",
        redoc_url=None,
        static_url=DOCS_ASSETS,
        favicon_url=f"{DOCS_ASSETS}/favicon.png",
    )
    app.state.settings = settings
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    return app
