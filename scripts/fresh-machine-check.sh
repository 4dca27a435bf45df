#!/usr/bin/env bash
# Prove the README's two commands (`make test`, `make run`) on a genuinely fresh Debian 12.
#
# A manual check, NOT part of `make test`: the machines we develop on already carry PostgreSQL,
# PostGIS, GDAL and QGIS, so a green `make test` there can hide a missing install step. This
# script builds a clean Debian 12 root with debootstrap, clones the committed HEAD of this
# repository into /root/incas-census inside it (under /root on purpose: the unprivileged
# database user cannot enter it), and runs the README's commands there through chroot with an
# empty environment.
#
# The only packages this script installs in the root are the user's own prerequisites to clone
# the project and type `make`: ca-certificates (this network inspects TLS with its own CA, whose
# .crt files are copied in from /usr/local/share/ca-certificates/), git and make. PostgreSQL,
# PostGIS, Python, GDAL and QGIS must all come from the project's own `make`.
#
# It also writes /usr/sbin/policy-rc.d (exit 101) in the root, as Docker images do, so that
# package postinst scripts start no service in the chroot (it shares the host's network, where
# a PostgreSQL may already listen on 5432).
#
# Usage (as root; needs debootstrap, and about 3 GB under the root folder):
#   scripts/fresh-machine-check.sh [options]
#     --root DIR     where to build the root (default $INCAS_FRESH_ROOT or /var/tmp/incas-fresh-root)
#     --reuse        keep an existing root and the packages installed in it (quicker, for
#                    iterating; NOT a fresh-machine proof). The clone is always made anew.
#     --run          after `make test`, also time `make run` twice (until /health answers)
#     --run-first    time `make run` twice BEFORE `make test` (the true first `make run`)
#     --logs DIR     where logs go (default var/fresh-machine/ in this repository)
#     --mirror URI   the Debian mirror to build from (default: the one this machine's own apt
#                    sources name for bookworm, read by scripts/apt_sources.py)
#     --security-mirror URI   likewise for bookworm-security (default: the machine's, if any)
#
# The root is left in place at the end, for inspection or --reuse; remove it with rm -rf
# --one-file-system once nothing is mounted in it.
#
# Logs: debootstrap.log, prepare.log, make-test.log, make-run-1.log, make-run-2.log and
# summary.txt in the logs folder. Exit status: 0 when every check that ran passed.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
ROOT=${INCAS_FRESH_ROOT:-/var/tmp/incas-fresh-root}
LOGDIR=${INCAS_FRESH_LOGS:-$REPO/var/fresh-machine}
# The mirrors come from this machine's own apt sources (or --mirror): the project names none.
MIRROR=""
SECURITY_MIRROR=""
SUITE=bookworm
REUSE=0
RUN_AFTER=0
RUN_FIRST=0
RUN_TIMEOUT=900 # 15 minutes for /health to answer
CLONE=/root/incas-census
CLEAN_PATH=/usr/sbin:/usr/bin:/sbin:/bin

while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT=$2; shift 2 ;;
    --root=*) ROOT=${1#*=}; shift ;;
    --logs) LOGDIR=$2; shift 2 ;;
    --logs=*) LOGDIR=${1#*=}; shift ;;
    --reuse) REUSE=1; shift ;;
    --run) RUN_AFTER=1; shift ;;
    --run-first) RUN_FIRST=1; shift ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --mirror=*) MIRROR=${1#*=}; shift ;;
    --security-mirror) SECURITY_MIRROR=$2; shift 2 ;;
    --security-mirror=*) SECURITY_MIRROR=${1#*=}; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option: $1 (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf '[fresh-check %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, mount and chroot need it)"
DEBOOTSTRAP=$(command -v debootstrap || echo /usr/sbin/debootstrap)
[ -x "$DEBOOTSTRAP" ] || die "debootstrap is missing (apt-get install debootstrap)"
case "$ROOT" in
  /*) ;;
  *) die "--root must be an absolute path" ;;
esac
[[ "$ROOT" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "--root must be a plain path (letters, digits, . _ - /)"
ROOT=$(realpath -m "$ROOT")
case "$ROOT" in
  / | /bin | /boot | /dev | /etc | /home | /lib* | /opt | /proc | /root | /run | /sbin | /srv | \
    /sys | /tmp | /usr | /usr/* | /var | /var/lib | /var/tmp | /work) die "refusing --root $ROOT" ;;
esac
mkdir -p "$LOGDIR"
LOGDIR=$(cd "$LOGDIR" && pwd)
if [ -z "$MIRROR" ]; then
  MIRROR=$(python3 "$REPO/scripts/apt_sources.py" "$SUITE") ||
    die "this machine's apt sources name no mirror for $SUITE; pass --mirror URI"
fi
if [ -z "$SECURITY_MIRROR" ]; then
  SECURITY_MIRROR=$(python3 "$REPO/scripts/apt_sources.py" "$SUITE-security" 2>/dev/null) ||
    say "warning: no $SUITE-security source on this machine; the root gets no security updates"
fi
say "Debian mirror $MIRROR; security ${SECURITY_MIRROR:-none} (from this machine's apt sources)"

# Run a command inside the root with an empty environment.
inside() {
  chroot "$ROOT" env -i PATH=$CLEAN_PATH HOME=/root TERM=dumb "$@"
}

mounts_under_root() {
  findmnt -rn -o TARGET | awk -v r="$ROOT" 'index($0, r "/") == 1' | sort -r
}

unmount_all() {
  local m
  for m in $(mounts_under_root); do
    umount "$m" 2>/dev/null || umount -l "$m" || say "warning: could not unmount $m"
  done
}

# Processes whose root directory is our chroot: all started by this script.
pids_in_root() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    if [ "$r" = "$ROOT" ]; then echo "${p#/proc/}"; fi
  done
  return 0
}

stop_inside() {
  if [ -x "$ROOT$CLONE/.venv/bin/python" ] && [ -d "$ROOT/proc/self" ]; then
    inside bash -c "cd $CLONE && make stop" >>"$LOGDIR/prepare.log" 2>&1 || true
  fi
  local pids
  mapfile -t pids < <(pids_in_root)
  if [ ${#pids[@]} -gt 0 ]; then
    say "ending leftover processes in the root: ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    sleep 3
    mapfile -t pids < <(pids_in_root)
    [ ${#pids[@]} -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
}

SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  # `make run` runs in its own session (setsid): end the whole group (make, dev.sh, uvicorn).
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
  local _
  for _ in $(seq 1 30); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 1
  done
  kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e # clean up as much as possible, whatever fails
  stop_server
  if [ -d "$ROOT" ]; then
    stop_inside
    unmount_all
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# 1. A clean Debian 12 root.
T0=$(date +%s)
if [ -e "$ROOT" ] && [ $REUSE -eq 0 ]; then
  say "removing the previous root $ROOT"
  unmount_all
  [ -z "$(mounts_under_root)" ] || die "something is still mounted under $ROOT"
  rm -rf --one-file-system "$ROOT"
fi
if [ ! -f "$ROOT/.incas-fresh-base" ]; then
  [ ! -e "$ROOT" ] || { unmount_all; rm -rf --one-file-system "$ROOT"; }
  say "debootstrap --variant=minbase $SUITE $ROOT $MIRROR (log: $LOGDIR/debootstrap.log)"
  "$DEBOOTSTRAP" --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$LOGDIR/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $LOGDIR/debootstrap.log"
  date -u +%FT%TZ >"$ROOT/.incas-fresh-base"
else
  say "reusing the root $ROOT (made $(cat "$ROOT/.incas-fresh-base")): NOT a fresh-machine proof"
fi
T_ROOT=$(($(date +%s) - T0))

# 2. Kernel file systems, DNS.
mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
if mountpoint -q /dev/shm; then mount --bind /dev/shm "$ROOT/dev/shm"; fi
mount --bind /sys "$ROOT/sys"
cp --remove-destination -L /etc/resolv.conf "$ROOT/etc/resolv.conf"

# No service starts in the chroot (the Docker images' convention).
printf '#!/bin/sh\n# Written by fresh-machine-check.sh: start no service in this chroot.\nexit 101\n' \
  >"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

# The same sources as the Debian 12 images: main, updates and security, on this machine's mirrors.
rm -f "$ROOT/etc/apt/sources.list"
cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
if [ -n "$SECURITY_MIRROR" ]; then
  cat >>"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
fi

# 3. Trust this network's TLS-inspecting CA; the user's prerequisites: git and make.
mkdir -p "$ROOT/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null ||
  say "warning: no .crt files in /usr/local/share/ca-certificates/"
say "apt-get update; apt-get install ca-certificates git make (log: $LOGDIR/prepare.log)"
{
  inside apt-get update -q &&
    inside env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      ca-certificates git make &&
    inside update-ca-certificates
} >"$LOGDIR/prepare.log" 2>&1 || die "preparing the root failed; see $LOGDIR/prepare.log"

# 4. A fresh clone of the committed HEAD, under /root.
stop_inside
rm -rf --one-file-system "$ROOT$CLONE"
git clone -q --no-hardlinks "$REPO" "$ROOT$CLONE"
COMMIT=$(git -C "$ROOT$CLONE" log -1 --format='%h %s')
say "cloned $REPO at $COMMIT into $CLONE"
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
  say "note: $REPO has uncommitted changes; the root gets the committed HEAD only"
fi

# ---------------------------------------------------------------------------------------------
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start `make run` in the root, time until /health answers, stop it and `make stop`.
# Sets RUN_SECS[n], RUN_RC[n].
declare -A RUN_SECS RUN_RC
run_once() {
  local n=$1 port log start now
  port=$(free_port)
  log="$LOGDIR/make-run-$n.log"
  say "make run #$n on port $port (log: $log)"
  start=$(date +%s)
  setsid chroot "$ROOT" env -i PATH=$CLEAN_PATH HOME=/root TERM=dumb PORT="$port" \
    bash -c "cd $CLONE && exec make run" >"$log" 2>&1 </dev/null &
  SERVER_PID=$!
  RUN_RC[$n]=1
  RUN_SECS[$n]=-
  while :; do
    if curl -fsS -m 5 "http://127.0.0.1:$port/health" >"$LOGDIR/health-$n.json" 2>/dev/null; then
      RUN_SECS[$n]=$(($(date +%s) - start))
      RUN_RC[$n]=0
      say "make run #$n: /health answered after ${RUN_SECS[$n]}s: $(head -c 300 "$LOGDIR/health-$n.json")"
      break
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      wait "$SERVER_PID" && RUN_RC[$n]=exited || RUN_RC[$n]=$?
      SERVER_PID=""
      say "make run #$n ended (status ${RUN_RC[$n]}) before /health answered; tail of $log:"
      tail -n 20 "$log" >&2
      break
    fi
    now=$(date +%s)
    if [ $((now - start)) -ge $RUN_TIMEOUT ]; then
      say "make run #$n: /health did not answer within ${RUN_TIMEOUT}s"
      RUN_RC[$n]=timeout
      break
    fi
    sleep 2
  done
  stop_server
  inside bash -c "cd $CLONE && make stop" >>"$log" 2>&1 || say "make stop failed after run #$n"
}

run_twice() {
  run_once 1
  run_once 2
}

# 5. The commands.
[ $RUN_FIRST -eq 0 ] || run_twice

TEST_LOG="$LOGDIR/make-test.log"
say "make test in the root (log: $TEST_LOG)"
start=$(date +%s)
set +e
inside bash -c "cd $CLONE && make test" 2>&1 | tee "$TEST_LOG"
TEST_RC=${PIPESTATUS[0]}
set -e
TEST_SECS=$(($(date +%s) - start))
# The suite leaves the embedded cluster running, as on a developer's machine; stop it.
inside bash -c "cd $CLONE && make stop" >>"$LOGDIR/prepare.log" 2>&1 || true

[ $RUN_AFTER -eq 0 ] || [ $RUN_FIRST -eq 1 ] || run_twice

# ---------------------------------------------------------------------------------------------
PYTEST_LINE=$(grep -aE '^=+ .*\b(passed|failed|errors?|skipped|no tests ran)\b.* in [0-9.]+s' \
  "$TEST_LOG" | tail -n 1 | tr -d '=' | sed 's/^ *//; s/ *$//')
{
  echo "fresh-machine check of $COMMIT"
  echo "  root:        $ROOT ($([ $REUSE -eq 1 ] && echo reused || echo new), ${T_ROOT}s)"
  echo "  make test:   exit $TEST_RC in ${TEST_SECS}s; pytest: ${PYTEST_LINE:-no summary line}"
  echo "               log $TEST_LOG"
  if [ $RUN_AFTER -eq 1 ] || [ $RUN_FIRST -eq 1 ]; then
    when=$([ $RUN_FIRST -eq 1 ] && echo "before make test" || echo "after make test")
    echo "  make run #1: /health after ${RUN_SECS[1]}s (status ${RUN_RC[1]}; $when; limit ${RUN_TIMEOUT}s)"
    echo "  make run #2: /health after ${RUN_SECS[2]}s (status ${RUN_RC[2]}; limit 60s)"
    echo "               logs $LOGDIR/make-run-1.log, $LOGDIR/make-run-2.log"
  fi
  echo "  other logs:  $LOGDIR/debootstrap.log, $LOGDIR/prepare.log"
} | tee "$LOGDIR/summary.txt"

ok=1
[ "$TEST_RC" -eq 0 ] || ok=0
if [ $RUN_AFTER -eq 1 ] || [ $RUN_FIRST -eq 1 ]; then
  [ "${RUN_RC[1]}" = 0 ] && [ "${RUN_RC[2]}" = 0 ] && [ "${RUN_SECS[2]}" -le 60 ] || ok=0
fi
[ $ok -eq 1 ]
