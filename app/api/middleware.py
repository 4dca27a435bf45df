"""What every request goes through: an id, one structured log line, and safe HTML pages.

One pure ASGI middleware (no per-request task or body buffering, so streamed answers stream):
- `X-Request-ID`: a sane incoming id is kept, otherwise one is made; the answer echoes it, and
  errors logged while the request runs carry it;
- one JSON log line per request, on the `incas.request` logger: method, path (never the query
  string), route, status, duration, bytes and the caller's role. Never the Authorization
  header, tokens, bodies or client addresses;
- security headers on every HTML page (OGC API pages, /docs, any page added later): a page
  that needs another policy sets its own header, which is kept.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from contextvars import ContextVar

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("incas.request")
root = logging.getLogger("incas")
request_id: ContextVar[str] = ContextVar("request_id", default="-")

SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

HTML_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HTML_HEADERS = {
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def incoming_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SANE_ID.match(text) else None
    return None


def secure_html(scope: Scope, headers: MutableHeaders) -> None:
    """Add the security headers to an HTML answer, keeping any the page set itself."""
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if not headers.get("content-type", "").startswith("text/html"):
        return
    headers.setdefault("Content-Security-Policy", HTML_POLICY)
    for name, value in HTML_HEADERS.items():
        headers.setdefault(name, value)


class RequestContext:
    """Give each request an id, secure HTML answers, and log one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Not uuid4: the id is no secret, and getrandbits spares a system call per request.
        rid = incoming_id(scope) or f"{random.getrandbits(128):032x}"
        reset = request_id.set(rid)
        started = time.perf_counter()
        answer = {"status": 500, "bytes": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = rid
                secure_html(scope, headers)
            elif message["type"] == "http.response.body":
                answer["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            state = scope.get("state") or {}
            log.info(
                "request",
                extra={
                    "fields": {
                        "method": scope["method"],
                        "path": scope["path"],
                        "route": getattr(route, "path", None),
                        "status": answer["status"],
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "bytes": answer["bytes"],
                        "role": state.get("role", "anonymous"),
                    }
                },
            )
            request_id.reset(reset)


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, request id, message and fields."""

    _second: tuple[int, str] = (-1, "")

    def _time(self, record: logging.LogRecord) -> str:
        # One strftime per second, not per line: it showed in profiles of the write path.
        second, text = self._second
        if int(record.created) != second:
            text = self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
            self._second = (int(record.created), text)
        return text

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self._time(record),
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": request_id.get(),
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, separators=(",", ":"), default=str)


def configure_logging() -> None:
    """Write the app's logs (`incas.*`) to stderr as JSON lines, unless already configured."""
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
