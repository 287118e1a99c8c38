#!/usr/bin/env bash
# Runs the project's private PostgreSQL cluster under the state folder, on a loopback port.
# Usage: infra/postgres.sh start|stop|status. Idempotent: start on a running cluster and stop on a
# stopped one do nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"

pg_bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n 1)"
if [[ -z "${pg_bin}" ]]; then
  echo "postgres: no server binaries under /usr/lib/postgresql; run infra/setup.sh" >&2
  exit 1
fi
data="${LEDGER_STATE}/postgres/data"
sockets="${LEDGER_STATE}/postgres/run"
logfile="${LEDGER_STATE}/postgres/server.log"
# Room for pgbench's 256 clients beside the services; and checkpoints spaced by time rather than
# forced every gigabyte of WAL, since the first change to a page after each checkpoint writes the
# whole page to the WAL. Durability stays at the defaults: fsync and synchronous_commit on.
server_settings="-c max_connections=400 -c shared_buffers=512MB -c max_wal_size=8GB \
  -c checkpoint_timeout=15min"

as_postgres() {
  if [[ $(id -un) == postgres ]]; then "$@"; else runuser -u postgres -- "$@"; fi
}

running() {
  [[ -f "${data}/postmaster.pid" ]] && as_postgres "${pg_bin}/pg_ctl" -D "${data}" status >/dev/null 2>&1
}

start() {
  mkdir -p "${LEDGER_STATE}/postgres" "${sockets}"
  chmod o+x "${LEDGER_STATE}" "${LEDGER_STATE}/postgres"
  chown postgres "${LEDGER_STATE}/postgres" "${sockets}"
  if [[ ! -f "${data}/PG_VERSION" ]]; then
    echo "postgres: creating cluster in ${data}"
    as_postgres "${pg_bin}/initdb" -D "${data}" -A trust -U postgres -E UTF8 --no-locale >/dev/null
  fi
  if running; then
    echo "postgres: already running on 127.0.0.1:${PG_PORT}"
  else
    echo "postgres: starting on 127.0.0.1:${PG_PORT}"
    as_postgres "${pg_bin}/pg_ctl" -D "${data}" -l "${logfile}" -w -t 60 start -o \
      "-p ${PG_PORT} -c listen_addresses=127.0.0.1 -k ${sockets} ${server_settings}" >/dev/null
  fi
  if ! "${pg_bin}/psql" -h 127.0.0.1 -p "${PG_PORT}" -U postgres -Atc \
    "select 1 from pg_database where datname = '${PG_DATABASE}'" | grep -q 1; then
    echo "postgres: creating database ${PG_DATABASE}"
    "${pg_bin}/createdb" -h 127.0.0.1 -p "${PG_PORT}" -U postgres "${PG_DATABASE}"
  fi
}

stop() {
  if running; then
    echo "postgres: stopping"
    as_postgres "${pg_bin}/pg_ctl" -D "${data}" -m fast -w stop >/dev/null
  else
    echo "postgres: not running"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "postgres: running"; else echo "postgres: stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
