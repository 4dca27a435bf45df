"""No cache keeps an answer given to a credential, and every answer varies with the credential.

A respondent's own response carries personal data, and an analyst's indicators carry counts the
public may not see: a browser or proxy that kept them could hand them to the next person. The
map-layer doors already say so per route (`LayerRoute`); this says it for every answer.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class PrivateAnswers:
    """ASGI middleware: `Vary: Authorization` always; `Cache-Control: no-store` with a token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        credentialed = any(name == b"authorization" for name, _ in scope["headers"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                vary = [v.strip() for v in headers.get("vary", "").split(",") if v.strip()]
                if "authorization" not in {v.lower() for v in vary}:
                    headers["Vary"] = ", ".join([*vary, "Authorization"])
                if credentialed:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
