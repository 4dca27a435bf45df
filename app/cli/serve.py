"""`incas serve`: run the API."""

from __future__ import annotations

import os

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", envvar="PORT"),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", envvar="WEB_CONCURRENCY", help="Worker processes."
    ),
    graceful_timeout: int = typer.Option(
        30, "--graceful-timeout", help="Seconds to finish the requests in flight on shutdown."
    ),
) -> None:
    """Serve the API (OpenAPI docs at /docs); SIGTERM drains the requests in flight."""
    import uvicorn  # loaded by the one command that serves, not by every `incas` start

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        # app/api/middleware.py writes one structured line per request instead.
        access_log=False,
        timeout_graceful_shutdown=graceful_timeout,
        # A worker busy loading the analysis stack or serving a burst answers the parent's
        # health ping late; five seconds (uvicorn's default) got busy workers killed.
        timeout_worker_healthcheck=30,
        log_level="info",
    )
