#!/usr/bin/env bash
# Runs the benchmarks against a real Postgres and Kafka (started if not running, and stopped
# afterwards if this script started them). Durability settings are the defaults (fsync on,
# synchronous_commit on).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"
build="$(cd "${1:-${LEDGER_ROOT}/build}" && pwd)"
# shellcheck source=infra/with_infra.sh
source "${here}/with_infra.sh"

echo "bench: $(nproc) cores, Kafka ${KAFKA_VERSION}, $(psql --version | head -n 1)"
"${build}/tests/reply_path_bench" "${BENCH_REPLIES:-1000}"
"${build}/tests/recorder_throughput_bench" "${BENCH_COMMANDS:-20000}" 1000
"${build}/tests/http_record_bench" "${BENCH_CLIENTS:-32}" "${BENCH_SECONDS:-20}"
"${build}/tests/http_record_bench" 1 "${BENCH_SECONDS:-20}"
