"""Drive the web pages as a person would, and record what the browser does meanwhile."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Page, Request


@dataclass
class RequestLog:
    """Every URL a browser context asked for (pages, assets, API, tiles, the map's worker)."""

    urls: list[str] = field(default_factory=list)

    def record(self, request: Request) -> None:
        self.urls.append(request.url)

    def outside(self, host: str = "127.0.0.1") -> list[str]:
        """Return the URLs that went anywhere but `host` (data: and blob: stay in the page)."""
        return [
            u for u in self.urls if urlsplit(u).scheme not in ("data", "blob")
            and urlsplit(u).hostname != host
        ]  # fmt: skip


@dataclass
class Session:
    context: BrowserContext
    page: Page
    requests: RequestLog
    errors: list[str]

    def close(self) -> None:
        self.context.close()


def open_session(browser: Browser, viewport: tuple[int, int] = (1280, 900)) -> Session:
    """A fresh browser context (its own storage) with one page, recording requests and errors."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    log = RequestLog()
    errors: list[str] = []
    context.on("request", log.record)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return Session(context, page, log, errors)


def wait_ready(page: Page) -> None:
    """Wait until the page has decided what to show (the questionnaire sets data-ready)."""
    page.wait_for_selector("html[data-ready]")


def axe_violations(page: Page, axe_source: Path, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core in the page; return its violations of the given impacts."""
    # evaluate() runs the script through the DevTools protocol, which the page's CSP allows.
    page.evaluate(axe_source.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    found = [v for v in result if v["impact"] in impacts]
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"],
         "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in found
    ]  # fmt: skip


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=1)
