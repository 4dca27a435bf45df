#!/usr/bin/env bash
# Install the OS packages the project needs, and only those that are missing.
#   install-system-deps.sh run    PostgreSQL + PostGIS, Python venv support, Node.js + npm (web pages)
#   install-system-deps.sh test   the same, plus the real clients the tests drive (GDAL, QGIS, chromium)
#   install-system-deps.sh bench  the same, plus the peers the benchmark measures (MapServer CGI)
set -euo pipefail

purpose=${1:-run}
need=()

have_python() {
  command -v python3 >/dev/null &&
    python3 -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null
}
server_bindir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}
have_postgis() {
  ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

have_python || need+=(python3 python3-venv python3-dev)
command -v git >/dev/null || need+=(git)
[ -x "$(server_bindir)/initdb" ] || need+=(postgresql)
command -v psql >/dev/null || need+=(postgresql-client)
# The web pages are bundled by esbuild, which runs on Debian 12's Node 18.
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
if [ "$purpose" = test ] || [ "$purpose" = bench ]; then
  command -v ogrinfo >/dev/null || need+=(gdal-bin)
  /usr/bin/python3 -c 'import qgis.core' 2>/dev/null || need+=(python3-qgis qgis-providers)
  # Playwright drives the distribution's browser: its own browser download is not reachable.
  [ -x /usr/bin/chromium ] || need+=(chromium)
fi
if [ "$purpose" = bench ]; then
  command -v mapserv >/dev/null || need+=(cgi-mapserver)
fi

postgis_pkg() {
  local major
  major=$(basename "$(dirname "$(server_bindir)")")
  echo "postgresql-${major}-postgis-3"
}

if [ ${#need[@]} -eq 0 ] && have_postgis; then
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then
    sudo="sudo"
  else
    echo "Missing OS packages: ${need[*]} (and PostGIS). Install them as root, then retry." >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "Installing OS packages: ${need[*]:-} (apt-get)" >&2
$sudo apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends ca-certificates "${need[@]}" >/dev/null
fi
# The PostGIS package name carries the server's major version, known only now.
have_postgis || $sudo apt-get install -y -qq --no-install-recommends "$(postgis_pkg)" >/dev/null
have_python || { echo "python3 >= 3.11 with venv is still missing" >&2; exit 1; }
have_postgis || { echo "PostGIS is still missing after apt-get" >&2; exit 1; }
