"""``iprisk serve``: run the node's web service under uvicorn (docs/service.md, docs/operations.md)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from iprisk.cli import app, err

#: Seconds a uvicorn worker may take to start (and to answer the supervisor's health check).
WORKER_STARTUP_S = 60


@app.command("serve")
def serve(
    host: Annotated[
        str | None, typer.Option("--host", help="Address to bind (default: IPRISK_HOST).", show_default=False)
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="TCP port (default: IPRISK_PORT).", show_default=False)
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", min=1, help="Worker processes (default: IPRISK_WORKERS).", show_default=False
        ),
    ] = None,
) -> None:
    """Serve the node: JSON API, OpenAPI at /docs, /health. Stops gracefully on SIGINT / SIGTERM."""
    import uvicorn

    from iprisk.link.http import SERVER_KEEP_ALIVE_S
    from iprisk.node import Node
    from iprisk.settings import get_settings
    from iprisk.web.logs import uvicorn_log_config

    settings = get_settings()
    Node.open(settings).close()  # every setting checked before announcing anything
    bind_host, bind_port = host or settings.host, settings.port if port is None else port
    scheme = "https" if settings.tls_certfile else "http"
    where = f"{scheme}://{bind_host}:{bind_port}"
    err.print(f"iprisk node {settings.node or '?'} on {where} (docs at {where}/docs)", markup=False)
    with tempfile.TemporaryDirectory(prefix="iprisk-serve-") as folder:
        # A file, not a dict: uvicorn reads it in each worker, and logging.config alters a dict it is given.
        log_config = Path(folder) / "logging.json"
        log_config.write_text(json.dumps(uvicorn_log_config(settings.log_level)), encoding="utf-8")
        uvicorn.run(
            "iprisk.web.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers or settings.workers,
            timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
            # longer than a peer's client keeps an idle connection (iprisk.link.http): it gives it up first
            timeout_keep_alive=SERVER_KEEP_ALIVE_S,
            log_config=str(log_config),
            access_log=False,  # the node's own access log leaves out client addresses and query strings
            # A worker imports pandas, SQLAlchemy, FastAPI...: on a busy machine that takes longer than
            # uvicorn's default 5 s, and the supervisor would kill it as dead, again and again.
            timeout_worker_healthcheck=WORKER_STARTUP_S,
            ssl_certfile=str(settings.tls_certfile) if settings.tls_certfile else None,
            ssl_keyfile=str(settings.tls_keyfile) if settings.tls_keyfile else None,
        )
