#!/usr/bin/env bash
# Runs every test with ctest against a real Postgres and Kafka. Starts whichever of the two is
# not running and stops, at the end, only what it started.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"
build="$(cd "${1:-${LEDGER_ROOT}/build}" && pwd)"
# shellcheck source=infra/with_infra.sh
source "${here}/with_infra.sh"

echo "test: running ctest in ${build}"
cd "${build}"
ctest --output-on-failure --timeout 600
