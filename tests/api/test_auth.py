"""Credentials: the brake on guessing slows the failures down, never a token that verifies."""

from __future__ import annotations

from tests.utils.auth import basic, bearer, token


def test_a_valid_token_passes_while_its_address_is_braked(client, session):
    analyst = token(session, "analyst")
    guesses = [
        client.get("/api/v1/surveys", headers=bearer(f"incas_guess{i}")).status_code
        for i in range(12)
    ]
    assert guesses[-1] == 429  # the address is braked

    # One misconfigured client behind a NAT must not lock out everyone else behind it.
    assert client.get("/api/v1/surveys", headers=bearer(analyst)).status_code == 200
    assert client.get("/api/v1/surveys", headers=basic(analyst)).status_code == 200
    # ... and a verified token does not lift the brake for the guesses.
    again = client.get("/api/v1/surveys", headers=basic("incas_guess"))
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
