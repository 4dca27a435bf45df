"""The web pages in a real browser: Debian's chromium driven by Playwright, against a live
uvicorn on the module's own database (`pytest.mark.database("own")`: the pages' answers are
committed).

Playwright's own browser download cannot be reached here, hence `executable_path`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.census.surveys import get_survey
from app.census.tokens import create_token
from app.main import create_app
from app.web.build import build
from tests.utils.documents import open_survey
from tests.utils.live import ROOT, live_server

CHROMIUM = os.environ.get("INCAS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # WebGL (MapLibre) on the CPU: recent Chromium no longer falls back to SwiftShader alone.
    "--enable-unsafe-swiftshader",
]
SCREENSHOTS = ROOT / "var" / "screenshots"
AXE = ROOT / "app" / "web" / "node_modules" / "axe-core" / "axe.min.js"
SURVEY = "web-wave"


@pytest.fixture(scope="session")
def web_build() -> None:
    """Build the pages if a source changed since the last build (as `make test` does first)."""
    build()


@pytest.fixture(scope="module")
def web_database(database_url: str, engine: Engine) -> str:
    """The module's own database, with an open wave."""
    with Session(engine) as session, session.begin():
        open_survey(session, code=SURVEY, vintage=2021)
    return database_url


@pytest.fixture(scope="module")
def web_engine(web_database: str, engine: Engine) -> Engine:
    return engine


@pytest.fixture(scope="module")
def web_url(web_build, web_database: str, tmp_path_factory) -> Iterator[str]:
    """The app in its own uvicorn process, one per test module."""
    log = tmp_path_factory.mktemp("web") / "uvicorn.log"
    with live_server(web_database, log) as url:
        yield url


@pytest.fixture(scope="module")
def web_client(web_build, web_database: str) -> Iterator[TestClient]:
    """The app in process, on the web tests' database."""
    with TestClient(create_app(web_database)) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless, one per test module."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def respondent(web_engine: Engine):
    """Issue a committed respondent token of the wave for some comuni; return its secret."""

    def issue(*comuni: str) -> str:
        with Session(web_engine) as session, session.begin():
            _, secret = create_token(
                session, "respondent", comuni, f"web test {'+'.join(comuni)}",
                survey=get_survey(session, SURVEY),
            )  # fmt: skip
        return secret

    return issue


def screenshot_path(name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"
