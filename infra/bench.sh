#!/usr/bin/env bash
# Runs the benchmarks of tests/bench/run_bench.py against a real Postgres and Kafka (started if
# not running, and stopped afterwards if this script started them) and leaves results.json,
# summary.md and chart.png in <build>/bench/. QUICK=1 runs a shorter variant. Durability
# settings are the defaults (fsync on, synchronous_commit on).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"
build="$(cd "${1:-${LEDGER_ROOT}/build}" && pwd)"
# shellcheck source=infra/with_infra.sh
source "${here}/with_infra.sh"

/usr/bin/python3 "${LEDGER_ROOT}/tests/bench/run_bench.py" --build "${build}" --out "${build}/bench"
