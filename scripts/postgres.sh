#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on loopback, from the machine's server binaries (no Docker, no system service).
#   scripts/postgres.sh start | stop | status | env | create-db NAME | drop-db NAME
# start creates one database `cme` with one login role and one schema per service (each role owns its schema);
# create-db makes another database laid out the same way (the tests use one per run).
set -euo pipefail

PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"
STATE="${CME_STATE_DIR:-/tmp/cme-$(id -u)}/postgres"
PORT_FILE="$STATE/port"
SERVICES=(intake triage casework review notify reporting)
DATABASE=cme

log() { echo "postgres: $*" >&2; }

# initdb refuses to run as root, so run the server as the unprivileged postgres user when we are root.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

port() { cat "$PORT_FILE"; }

is_running() { [[ -f "$PORT_FILE" ]] && "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$(port)"; }

psql_admin() { "$PGBIN/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(port)" -U postgres "$@"; }

start() {
  if is_running; then log "already running on 127.0.0.1:$(port)"; return 0; fi
  mkdir -p "$STATE"
  if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$STATE"; chmod 0700 "$STATE"; chmod o+x "$(dirname "$STATE")"; fi
  if [[ ! -f "$STATE/data/PG_VERSION" ]]; then
    as_owner "$PGBIN/initdb" -D "$STATE/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log"
  fi
  local p="${CME_POSTGRES_PORT:-$(free_port)}"
  echo "$p" >"$PORT_FILE"
  as_owner "$PGBIN/pg_ctl" -D "$STATE/data" -l "$STATE/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $p -k $STATE -c max_connections=300" start >/dev/null
  provision
  log "started on 127.0.0.1:$p (data in $STATE/data)"
}

provision() {
  local database="${1:-$DATABASE}"
  psql_admin -d postgres -tc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1 \
    || psql_admin -d postgres -c "CREATE DATABASE $database"
  for svc in "${SERVICES[@]}"; do
    psql_admin -d "$database" <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$svc') THEN
    CREATE ROLE $svc LOGIN PASSWORD '$svc';
  END IF;
END \$\$;
CREATE SCHEMA IF NOT EXISTS $svc AUTHORIZATION $svc;
ALTER ROLE $svc SET search_path = $svc;
REVOKE ALL ON SCHEMA public FROM $svc;
SQL
  done
}

stop() {
  if [[ -f "$STATE/data/postmaster.pid" ]]; then
    as_owner "$PGBIN/pg_ctl" -D "$STATE/data" -m fast -w stop >/dev/null || true
    log "stopped"
  else
    log "not running"
  fi
}

valid_name() { [[ "$1" =~ ^[a-z][a-z0-9_]{0,62}$ ]] || { log "database names are lower-case identifiers"; exit 2; }; }

case "${1:-}" in
  start) start ;;
  create-db) valid_name "${2:-}"; provision "$2"; echo "DATABASE_URL=postgresql+asyncpg://{service}:{service}@127.0.0.1:$(port)/$2" ;;
  drop-db) valid_name "${2:-}"; psql_admin -d postgres -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" ;;
  stop) stop ;;
  destroy) stop; rm -rf "$STATE" ;;
  status) if is_running; then echo "running on 127.0.0.1:$(port)"; else echo "not running"; exit 1; fi ;;
  env) echo "DATABASE_URL=postgresql+asyncpg://{service}:{service}@127.0.0.1:$(port)/$DATABASE" ;;
  *) echo "usage: $0 start|stop|destroy|status|env|create-db NAME|drop-db NAME" >&2; exit 2 ;;
esac
