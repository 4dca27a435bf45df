"""Settings, one small class per concern, read from the environment."""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parents[1]


def _embedded_database_url() -> str:
    """Return the URL of this checkout's embedded cluster, if one is recorded in var/."""
    script = ROOT / "scripts" / "embedded_pg.py"
    if (ROOT / "var" / "embedded-pg.json").exists() and script.exists():
        out = subprocess.run([sys.executable, str(script), "url"], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.strip()
    return ""


class DatabaseSettings(BaseSettings):
    """Where the PostGIS database is."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str = Field(default_factory=_embedded_database_url)

    @field_validator("database_url")
    @classmethod
    def _must_be_postgres(cls, value: str) -> str:
        if not value:
            raise ValueError("set DATABASE_URL, or start the embedded cluster with `make run`")
        if not value.startswith(("postgresql://", "postgresql+psycopg2://", "postgres://")):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return value.replace("postgres://", "postgresql://", 1)


class DisclosureSettings(BaseSettings):
    """Statistical disclosure control for public output."""

    model_config = SettingsConfigDict(env_prefix="INCAS_", extra="ignore")

    suppression_threshold: int = Field(default=5, ge=3)


class AuthSettings(BaseSettings):
    """Credentials and brute-force protection."""

    model_config = SettingsConfigDict(env_prefix="INCAS_", extra="ignore")

    # Failed authentications tolerated per client address in one window before answering 429.
    auth_failures_allowed: int = Field(default=10, ge=1)
    auth_failure_window_seconds: int = Field(default=60, ge=1)


class ServerSettings(BaseSettings):
    """How the web service behaves towards browsers, clients and its own workers."""

    model_config = SettingsConfigDict(env_prefix="INCAS_", extra="ignore")

    # Web origins allowed to call the API from a browser, comma-separated
    # (`INCAS_CORS_ORIGINS=https://census.example.it`). None by default: same origin only.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Threads per worker process for handlers that block on the database (anyio's default).
    # Not fewer: a thread waiting on a row lock holds its place, and a streamed answer whose
    # transaction holds that lock needs threads of its own to finish.
    worker_threads: int = Field(default=40, ge=8, le=200)
    # What a 503 tells clients while the database is away: retry after this many seconds.
    retry_after_seconds: int = Field(default=2, ge=1)
    # Pay at start-up, not on the first request, for imports and per-vintage caches.
    warm_up: bool = True

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> object:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        for origin in value if isinstance(value, list) else []:
            url = urlsplit(origin)
            if url.scheme not in ("http", "https") or not url.netloc or url.path not in ("", "/"):
                raise ValueError(f"{origin!r} is not an origin like https://census.example.it")
        return [o.rstrip("/") for o in value] if isinstance(value, list) else value


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache
def disclosure_settings() -> DisclosureSettings:
    return DisclosureSettings()


@lru_cache
def auth_settings() -> AuthSettings:
    return AuthSettings()


@lru_cache
def server_settings() -> ServerSettings:
    return ServerSettings()
