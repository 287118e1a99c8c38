#!/usr/bin/env bash
# Installs what the project needs to build and run on Debian 12: compiler toolchain and libraries
# from Debian's archive, and the Apache Kafka broker jars from Maven Central. Idempotent: a second
# run finds everything present and changes nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev librdkafka-dev libpqxx-dev rapidjson-dev libgtest-dev libgmock-dev
  libssl-dev libspdlog-dev clang-format
  postgresql postgresql-contrib kcat openssl curl
  openjdk-17-jre-headless maven
  python3 python3-yaml python3-jsonschema python3-prometheus-client
  wrk python3-matplotlib postgresql-client
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: need root to install packages: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# The broker: kafka_2.13 and a log4j binding, resolved by Maven into the state folder.
jars="${LEDGER_STATE}/kafka/libs"
stamp="${jars}/.resolved-${KAFKA_VERSION}"
if [[ -f "${stamp}" ]]; then
  echo "setup: Kafka ${KAFKA_VERSION} jars present in ${jars}"
else
  echo "setup: resolving Kafka ${KAFKA_VERSION} jars into ${jars}"
  rm -rf "${jars}"
  mkdir -p "${jars}"
  sed -e "s/@KAFKA_VERSION@/${KAFKA_VERSION}/" -e "s/@LOG4J_VERSION@/${LOG4J_VERSION}/" \
    "${here}/kafka/pom.xml.in" >"${LEDGER_STATE}/kafka/pom.xml"
  mvn -q -B -f "${LEDGER_STATE}/kafka/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="${jars}"
  touch "${stamp}"
fi
