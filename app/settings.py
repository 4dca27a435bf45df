"""Settings, one small class per concern, read from the environment."""

from __future__ import annotations

import subprocess
import sys
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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


@lru_cache
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache
def disclosure_settings() -> DisclosureSettings:
    return DisclosureSettings()


@lru_cache
def auth_settings() -> AuthSettings:
    return AuthSettings()
