#!/usr/bin/env bash
# Starts and stops the recorder and the gateway against the local Postgres and Kafka.
# Usage: infra/services.sh up|down|run
#   up    start both in the background, return once the gateway is ready
#   down  stop both (SIGTERM, then wait)
#   run   start both in the foreground; Ctrl-C stops them and the infrastructure
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"

bin="${LEDGER_BUILD:-${LEDGER_ROOT}/build}/services"
run_dir="${LEDGER_STATE}/run"
export DEPLOYMENTS_BROKERS="${DEPLOYMENTS_BROKERS:-${KAFKA_BROKERS}}"
export DEPLOYMENTS_DATABASE_URL="${DEPLOYMENTS_DATABASE_URL:-postgresql://postgres@127.0.0.1:${PG_PORT}/${PG_DATABASE}}"
gateway_address="${DEPLOYMENTS_LISTEN_ADDRESS:-127.0.0.1}"
gateway_port="${DEPLOYMENTS_PORT:-8080}"
gateway_url="http://${gateway_address}:${gateway_port}"

# Local tokens are HS256 with a secret made on first start; `make token` signs with it.
secret_file="${LEDGER_STATE}/auth/hs256.secret"
if [[ -z "${DEPLOYMENTS_JWT_SECRET_FILE:-}${DEPLOYMENTS_JWKS_FILE:-}" ]]; then
  if [[ ! -s "${secret_file}" ]]; then
    echo "services: generating a local HS256 secret in ${secret_file}"
    mkdir -p "$(dirname "${secret_file}")"
    (umask 077 && openssl rand -hex 32 >"${secret_file}")
  fi
  export DEPLOYMENTS_JWT_SECRET_FILE="${secret_file}"
fi

alive() { [[ -f "${run_dir}/$1.pid" ]] && kill -0 "$(cat "${run_dir}/$1.pid")" 2>/dev/null; }

start_one() {
  local name=$1 format=$2
  if alive "${name}"; then
    echo "services: ${name} already running"
    return
  fi
  echo "services: starting ${name}"
  DEPLOYMENTS_LOG_FORMAT="${DEPLOYMENTS_LOG_FORMAT:-${format}}" \
    "${bin}/${name}/deployment-ledger-${name}" >>"${run_dir}/${name}.log" 2>&1 &
  echo $! >"${run_dir}/${name}.pid"
}

wait_ready() {
  for _ in $(seq 1 240); do
    if curl -fsS "${gateway_url}/readyz" >/dev/null 2>&1; then
      return 0
    fi
    for name in recorder gateway; do
      if ! alive "${name}"; then
        echo "services: ${name} exited during start-up; last lines of ${run_dir}/${name}.log:" >&2
        tail -n 20 "${run_dir}/${name}.log" >&2
        return 1
      fi
    done
    sleep 0.25
  done
  echo "services: gateway not ready after 60 s" >&2
  return 1
}

stop_one() {
  local name=$1
  if ! alive "${name}"; then
    rm -f "${run_dir}/${name}.pid"
    return
  fi
  local pid
  pid="$(cat "${run_dir}/${name}.pid")"
  echo "services: stopping ${name} (pid ${pid})"
  kill -TERM "${pid}"
  for _ in $(seq 1 120); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "${pid}" 2>/dev/null; then
    echo "services: ${name} did not stop in 30 s; killing it" >&2
    kill -KILL "${pid}" || true
  fi
  rm -f "${run_dir}/${name}.pid"
}

mkdir -p "${run_dir}"
case "${1:-}" in
  up)
    start_one recorder json
    start_one gateway json
    wait_ready
    echo "services: gateway ready at ${gateway_url} (logs in ${run_dir})"
    ;;
  down)
    stop_one gateway
    stop_one recorder
    ;;
  run)
    # Foreground: both services log to this terminal in the human format.
    export DEPLOYMENTS_LOG_FORMAT="${DEPLOYMENTS_LOG_FORMAT:-text}"
    "${bin}/recorder/deployment-ledger-recorder" &
    recorder=$!
    "${bin}/gateway/deployment-ledger-gateway" &
    gateway=$!
    stop_all() {
      trap - INT TERM
      echo
      echo "services: stopping"
      kill -TERM "${gateway}" "${recorder}" 2>/dev/null || true
      wait "${gateway}" "${recorder}" 2>/dev/null || true
      "${here}/kafka.sh" stop
      "${here}/postgres.sh" stop
      exit 0
    }
    trap stop_all INT TERM
    for _ in $(seq 1 240); do
      curl -fsS "${gateway_url}/readyz" >/dev/null 2>&1 && break
      kill -0 "${gateway}" 2>/dev/null || { echo "services: gateway exited" >&2; stop_all; }
      sleep 0.25
    done
    echo
    echo "deployment-ledger is serving at ${gateway_url}  (Ctrl-C stops everything)"
    echo "  a token for organization dev:  make token"
    echo
    wait -n "${gateway}" "${recorder}" || true
    echo "services: a service exited; stopping the rest" >&2
    stop_all
    ;;
  *) echo "usage: $0 up|down|run" >&2; exit 2 ;;
esac
