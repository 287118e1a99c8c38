# Sourced by scripts that need Postgres and Kafka for a while: starts whichever is not running
# and, on exit, stops only what it started. Exports the LEDGER_TEST_* locations the test and
# benchmark binaries read. Expects env.sh to be sourced and $here to be the infra folder.

started_infra=()
stop_started_infra() {
  local i
  for ((i = ${#started_infra[@]} - 1; i >= 0; i--)); do
    bash "${here}/${started_infra[i]}.sh" stop || true
  done
}
trap stop_started_infra EXIT

for part in postgres kafka; do
  if bash "${here}/${part}.sh" status >/dev/null 2>&1; then
    echo "${part} already running; leaving it running afterwards"
  else
    bash "${here}/${part}.sh" start
    started_infra+=("${part}")
  fi
done

export LEDGER_TEST_BROKERS="${KAFKA_BROKERS}"
export LEDGER_TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:${PG_PORT}/${PG_DATABASE}"
export LEDGER_TEST_BIN="${build}/services"
