#!/usr/bin/env bash
# Runs every test with ctest against a real Postgres and Kafka. Starts whichever of the two is
# not running and stops, at the end, only what it started.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"
build="${1:-${LEDGER_ROOT}/build}"

started=()
cleanup() {
  local i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    bash "${here}/${started[i]}.sh" stop || true
  done
}
trap cleanup EXIT

for part in postgres kafka; do
  if bash "${here}/${part}.sh" status >/dev/null 2>&1; then
    echo "test: ${part} already running; leaving it running afterwards"
  else
    bash "${here}/${part}.sh" start
    started+=("${part}")
  fi
done

export LEDGER_TEST_BROKERS="${KAFKA_BROKERS}"
export LEDGER_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:${PG_PORT}/${PG_DATABASE}"
export LEDGER_TEST_BIN="${build}/services"
export LEDGER_ROOT
echo "test: running ctest in ${build}"
cd "${build}"
ctest --output-on-failure --timeout 600
