"""A live uvicorn process with the test layers, and a committed analyst token.

Real clients (GDAL, OWSLib, QGIS) cross a process boundary, so they read committed data: each
module has a database of its own (`pytest.mark.database`), dropped with everything the module
committed in it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from app.census.tokens import create_token
from tests.utils.clients import san_severo
from tests.utils.live import live_server

LABEL = "client tests analyst"


@pytest.fixture(scope="module")
def layers_url(database_url: str, tmp_path_factory) -> Iterator[str]:
    """Start `tests.clients.server:create_app` in uvicorn; yield its base URL."""
    log = tmp_path_factory.mktemp("clients") / "uvicorn.log"
    with live_server(database_url, log, "tests.clients.server:create_app") as url:
        yield url


@pytest.fixture(scope="module")
def analyst_secret(engine) -> str:
    """A committed analyst token."""
    with Session(engine) as session, session.begin():
        _, secret = create_token(session, "analyst", label=LABEL)
    return secret


@pytest.fixture(scope="module")
def truth(engine) -> dict:
    return san_severo(engine, 2023)
