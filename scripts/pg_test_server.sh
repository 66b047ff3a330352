#!/usr/bin/env bash
# A throwaway PostgreSQL server for the store tests, on 127.0.0.1 and a free port.
#
#   eval "$(bash scripts/pg_test_server.sh start)"   # exports EVALSCOPE_TEST_PG_URL and EVALSCOPE_PG_DIR
#   bash scripts/pg_test_server.sh stop "$EVALSCOPE_PG_DIR"
#
# Installs Debian's `postgresql` when no server binaries are found (needs root and apt). The cluster
# lives in a fresh temporary directory (trust authentication, loopback only, its socket there too)
# and is removed by `stop`. As root the server runs as the `postgres` user, which initdb requires.
# Everything but the two export lines goes to stderr.
set -euo pipefail

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -z "$found" ] && command -v pg_config >/dev/null 2>&1; then
    found=$(pg_config --bindir)
  fi
  [ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

as_server_user() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin dir port
  bin=$(bindir || true)
  if [ -z "$bin" ]; then
    echo "pg_test_server: installing postgresql from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    bin=$(bindir)
  fi
  dir=$(mktemp -d /tmp/evalscope-pg.XXXXXX)
  chmod 755 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  as_server_user "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_server_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200 -c fsync=off" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres -c "CREATE DATABASE evalscope_test" >&2
  echo "pg_test_server: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)" >&2
  echo "export EVALSCOPE_TEST_PG_URL=postgresql://postgres@127.0.0.1:$port/evalscope_test"
  echo "export EVALSCOPE_PG_DIR=$dir"
}

stop() {
  local dir=${1:-${EVALSCOPE_PG_DIR:-}} bin
  [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
  bin=$(bindir)
  as_server_user "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-start}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *) echo "usage: $0 start | stop DIR" >&2; exit 2 ;;
esac
