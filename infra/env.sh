# Shared settings for the infra scripts; sourced, not run. Every value can be overridden from the
# environment.
LEDGER_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export LEDGER_ROOT
export LEDGER_STATE="${LEDGER_STATE:-${LEDGER_ROOT}/.state}"
export KAFKA_VERSION="${KAFKA_VERSION:-4.4.0}"
export LOG4J_VERSION="${LOG4J_VERSION:-2.25.3}"
export KAFKA_PORT="${KAFKA_PORT:-19092}"
export KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
export KAFKA_BROKERS="${KAFKA_BROKERS:-127.0.0.1:${KAFKA_PORT}}"
export PG_PORT="${PG_PORT:-15432}"
export PG_DATABASE="${PG_DATABASE:-ledger}"
