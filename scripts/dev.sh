#!/usr/bin/env bash
# The steps behind `make run`, `make test` and `make stop`.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PY=${PYTHON:-python3}

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

system_deps() {
  step "OS packages ($1)"
  scripts/install-system-deps.sh "$1"
}

venv() {
  # Reinstall only when the project's dependencies change.
  local stamp=$VENV/.installed
  if [ ! -x $VENV/bin/python ]; then
    step "creating $VENV"
    $PY -m venv $VENV
  fi
  if [ ! -f $stamp ] || [ pyproject.toml -nt $stamp ] || [ constraints.txt -nt $stamp ]; then
    step "installing the project into $VENV"
    $VENV/bin/python -m pip install -q --upgrade pip
    $VENV/bin/python -m pip install -q -c constraints.txt -e '.[dev]'
    touch $stamp
  fi
}

web_pages() {
  # npm ci, the app's schema and esbuild, each only when what it reads changed (app/web/build.py).
  step "web pages (app/web)"
  $VENV/bin/python -m app.web.build
}

database() {
  if [ -n "${DATABASE_URL:-}" ]; then
    step "using DATABASE_URL (${DATABASE_URL%%://*}://…@${DATABASE_URL#*@})"
  else
    step "embedded PostGIS cluster"
    DATABASE_URL=$($VENV/bin/python scripts/embedded_pg.py start)
    export DATABASE_URL
  fi
}

migrate_and_load() {
  step "migrations"
  $VENV/bin/alembic upgrade head
  step "comuni reference data"
  $VENV/bin/incas comuni load-shipped
}

case "${1:-}" in
  run)
    system_deps run
    venv
    web_pages
    database
    migrate_and_load
    step "serving on http://127.0.0.1:${PORT:-8000} (docs at /docs)"
    exec $VENV/bin/incas serve --host 127.0.0.1 --port "${PORT:-8000}"
    ;;
  test)
    system_deps test
    venv
    web_pages
    step "import contracts (lint-imports)"
    $VENV/bin/lint-imports
    database
    step "test suite (throwaway databases on the same server)"
    # The suite creates and drops its own uniquely named databases, one set per worker. Most
    # tests wait on PostgreSQL, a browser or QGIS, so a worker per core (one test file at a
    # time each: a module's database fixtures stay in one process) halves the time.
    exec $VENV/bin/python -m pytest -n "${TEST_WORKERS:-auto}" --dist loadfile "${@:2}"
    ;;
  bench)
    system_deps bench
    venv
    database
    # Each makes, loads and drops its own database on that server.
    case "${BENCH:-all}" in
      ogc|all)
        step "benchmark: our WFS and OGC API vs MapServer, tipg and raw PostGIS (bench/README.md)"
        $VENV/bin/python bench/ogc_vs_peers.py "${@:2}" ;;&
      load|all)
        step "benchmark: 50 and 10 clients submitting the national wave over HTTP (bench/README.md)"
        $VENV/bin/python bench/load_submit.py ;;&
      restart)
        step "benchmark: submissions while PostgreSQL restarts (a private cluster of its own)"
        $VENV/bin/python bench/load_submit.py --restart-db --clients 50 --runs 1 ;;
      cold)
        step "benchmark: the first case-area selection after start, on new data, over HTTP"
        $VENV/bin/python bench/cold_start.py "${@:2}" ;;
      cli)
        step "benchmark: incas commands that read the database, start to exit (issue 15)"
        $VENV/bin/python bench/cli_startup.py "${@:2}" ;;
    esac
    ;;
  stop)
    if [ -x $VENV/bin/python ]; then
      $VENV/bin/python scripts/embedded_pg.py stop
    else
      $PY scripts/embedded_pg.py stop
    fi
    ;;
  *)
    echo "usage: scripts/dev.sh run|test|bench|stop" >&2
    exit 2
    ;;
esac
