"""`incas` starts light: a command loads what it needs when it runs, and help loads nothing.

Behaviour, not timing (the times are in the report of issue 15): what a start imports, seen in
`sys.modules` of a fresh interpreter.
"""

from __future__ import annotations

import subprocess
import sys

# Together these take seconds to import; listing tokens or waves needs none of them.
ANALYSIS = ("pandas", "geopandas", "esda", "libpysal", "scipy", "pyogrio", "pulp")
# What any command that reads the database needs, and `--help` does not.
DATABASE = ("sqlalchemy", "geoalchemy2", "pydantic_settings", "app.db", "app.census.models")


def loaded_after(code: str, modules: tuple[str, ...]) -> list[str]:
    """Run `code` in a fresh interpreter; return which of `modules` it imported."""
    probe = f"import sys\n{code}\nprint('loaded:', *(m for m in {modules!r} if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()[-1].split()[1:]


def test_importing_every_command_loads_no_analysis_module():
    assert loaded_after("import app.cli", ANALYSIS) == []


def test_help_loads_neither_the_database_nor_the_domain():
    for args in (["--help"], ["tokens", "list", "--help"], ["comuni", "--help"]):
        code = (
            "import app.cli\n"
            f"sys.argv = ['incas', *{args!r}]\n"
            "try:\n    app.cli.main()\nexcept SystemExit:\n    pass"
        )
        assert loaded_after(code, DATABASE + ANALYSIS) == [], args
