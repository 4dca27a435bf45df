"""Request ids, the request log, security headers on HTML pages, and the CORS allow-list."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import server_settings
from tests.utils.auth import bearer, token


@pytest.fixture
def request_log():
    """The JSON lines the request logger writes during a test."""
    lines: list[dict] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append({"message": record.getMessage(), **getattr(record, "fields", {})})

    handler = Keep()
    logger = logging.getLogger("incas.request")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_a_sane_request_id_is_echoed_and_any_other_replaced(client):
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123.x"}).headers["x-request-id"]
        == "abc-123.x"
    )
    for bad in ("a b", "x" * 200, "<script>"):
        answer = client.get("/health", headers={"X-Request-ID": bad})
        assert answer.headers["x-request-id"] != bad
        assert len(answer.headers["x-request-id"]) == 32
    first, second = client.get("/health"), client.get("/health")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


def test_the_request_log_names_the_route_and_role_never_the_token_or_query(
    client, session, request_log
):
    secret = token(session, "analyst")
    client.get("/api/v1/comuni?q=forli&limit=1", headers={**bearer(secret), "X-Request-ID": "r1"})
    [line] = [x for x in request_log if x["path"] == "/api/v1/comuni"]
    assert line["route"] == "/api/v1/comuni" and line["status"] == 200
    assert line["role"] == "analyst" and line["bytes"] > 0 and line["ms"] >= 0
    text = json.dumps(request_log)
    assert secret not in text and "forli" not in text and "Bearer" not in text


def test_html_pages_get_security_headers_and_json_does_not(client):
    page = client.get("/ogc?f=html")
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["x-content-type-options"] == "nosniff"
    # /docs sets its own policy, which the middleware keeps: nothing from another origin.
    docs = client.get("/docs").headers["content-security-policy"]
    assert "script-src 'self';" in docs and "https:" not in docs
    data = client.get("/ogc?f=json")
    assert "content-security-policy" not in data.headers
    assert data.headers["x-content-type-options"] == "nosniff"


def test_cors_allows_only_the_configured_origins(database_url, monkeypatch):
    closed = create_app(database_url)
    with TestClient(closed) as http:
        answer = http.get("/health", headers={"Origin": "https://census.example.it"})
        assert "access-control-allow-origin" not in answer.headers

    monkeypatch.setenv("INCAS_CORS_ORIGINS", "https://census.example.it")
    server_settings.cache_clear()
    try:
        opened = create_app(database_url)
    finally:
        server_settings.cache_clear()
    preflight = {"Origin": "https://census.example.it", "Access-Control-Request-Method": "PUT",
                 "Access-Control-Request-Headers": "authorization,if-match"}  # fmt: skip
    with TestClient(opened) as http:
        allowed = http.options("/api/v1/surveys/x/responses/071051", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://census.example.it"
        other = http.options(
            "/api/v1/surveys", headers={**preflight, "Origin": "https://evil.example.com"}
        )
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
        simple = http.get("/health", headers={"Origin": "https://census.example.it"})
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


def test_a_cors_origin_must_be_an_origin(monkeypatch):
    monkeypatch.setenv("INCAS_CORS_ORIGINS", "*")
    with pytest.raises(ValueError, match="not an origin"):
        type(server_settings())()
