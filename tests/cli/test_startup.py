"""`incas` starts light: a command loads what it needs when it runs, and help loads nothing.

Behaviour, not timing (bench/cli_startup.py times them): what a start imports, seen in
`sys.modules` of a fresh interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.census.surveys import SurveyIn, create_survey
from app.census.tokens import create_token

# Only the tests that list take the database: a copy of their own, holding what they list.
pytestmark = pytest.mark.database("own")

# Together these take seconds to import; listing tokens or waves needs none of them.
ANALYSIS = ("pandas", "geopandas", "esda", "libpysal", "scipy", "pyogrio", "pulp")
# What any command that reads the database needs, and `--help` does not.
DATABASE = ("sqlalchemy", "geoalchemy2", "pydantic_settings", "app.db", "app.census.models")
# GeoAlchemy2 brings shapely and numpy; Alembic only migrations need. Listing does without them.
GEOMETRY = ("geoalchemy2", "shapely", "numpy", "alembic")


def loaded_after(
    code: str, modules: tuple[str, ...], env: dict[str, str] | None = None
) -> list[str]:
    """Run `code` in a fresh interpreter; return which of `modules` it imported."""
    probe = f"import sys\n{code}\nprint('loaded:', *(m for m in {modules!r} if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                       env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()[-1].split()[1:]


def test_importing_every_command_loads_no_analysis_module():
    assert loaded_after("import app.cli", ANALYSIS) == []


def test_help_loads_neither_the_database_nor_the_domain():
    for args in (["--help"], ["tokens", "list", "--help"], ["comuni", "--help"]):
        assert loaded_after(command(args), DATABASE + ANALYSIS) == [], args


def command(args: list[str]) -> str:
    """Return code that runs `incas ARGS` as the console script does, and fails if it fails."""
    return (
        "import app.cli\n"
        f"sys.argv = ['incas', *{args!r}]\n"
        "try:\n    app.cli.main()\nexcept SystemExit as exc:\n"
        "    assert not exc.code, f'incas exited {exc.code}'"
    )


@pytest.fixture(scope="module")
def listed(engine, database_url) -> dict:
    """A wave and a token to list, and the environment that reaches them."""
    code = f"light-{uuid.uuid4().hex[:6]}"
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        create_survey(session, SurveyIn(code=code, title="Start-up", vintage=2021, opens_at=now,
                                        closes_at=now + timedelta(days=30)))  # fmt: skip
        token, _secret = create_token(session, "analyst", label="start-up")
        session.flush()
        token_id = token.id
    return {"code": code, "token": token_id, "env": {**os.environ, "DATABASE_URL": database_url}}


def test_listing_and_revoking_load_neither_geometry_nor_analysis(listed):
    for args in (
        ["comuni", "vintages"],
        ["surveys", "list"],
        ["tokens", "list", "--survey", listed["code"]],
        ["tokens", "list"],
        ["tokens", "revoke", str(listed["token"])],
        ["case-areas", "list", "--survey", listed["code"]],
    ):
        assert loaded_after(command(args), GEOMETRY + ANALYSIS, listed["env"]) == [], args
