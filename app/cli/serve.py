"""`incas serve`: run the API."""

from __future__ import annotations

import typer


def serve(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port", envvar="PORT"),
    workers: int = typer.Option(1, "--workers", help="Worker processes."),
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    import uvicorn  # loaded by the one command that serves, not by every `incas` start

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        log_level="info",
    )
