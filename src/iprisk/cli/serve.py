"""``iprisk serve``: run the node's web service under uvicorn (docs/service.md, docs/operations.md)."""

from __future__ import annotations

from typing import Annotated

import typer

from iprisk.cli import app, err


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

    from iprisk.settings import get_settings

    settings = get_settings()
    bind_host, bind_port = host or settings.host, settings.port if port is None else port
    where = f"http://{bind_host}:{bind_port}"
    err.print(f"iprisk node {settings.node or '?'} on {where} (docs at {where}/docs)", markup=False)
    uvicorn.run(
        "iprisk.web.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        workers=workers or settings.workers,
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
        log_level=settings.log_level.lower(),
    )
