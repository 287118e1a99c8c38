#!/usr/bin/env bash
# Runs a single-node Apache Kafka broker in KRaft mode (broker and controller in one process) on
# loopback, from the jars infra/setup.sh resolved. Usage: infra/kafka.sh start|stop|status.
# Idempotent: start on a running broker and stop on a stopped one do nothing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=infra/env.sh
source "${here}/env.sh"

home="${LEDGER_STATE}/kafka"
libs="${home}/libs"
props="${home}/server.properties"
pidfile="${home}/broker.pid"
logdir="${home}/logs"

running() {
  [[ -f "${pidfile}" ]] && kill -0 "$(cat "${pidfile}")" 2>/dev/null
}

ready() {
  kcat -L -b "${KAFKA_BROKERS}" -m 2 >/dev/null 2>&1
}

start() {
  if [[ ! -f "${libs}/.resolved-${KAFKA_VERSION}" ]]; then
    echo "kafka: jars for ${KAFKA_VERSION} missing; run infra/setup.sh" >&2
    exit 1
  fi
  if running; then
    echo "kafka: already running on ${KAFKA_BROKERS}"
    return
  fi
  mkdir -p "${logdir}"
  sed -e "s|@PORT@|${KAFKA_PORT}|g" -e "s|@CONTROLLER_PORT@|${KAFKA_CONTROLLER_PORT}|g" \
    -e "s|@DATA@|${home}/data|g" "${here}/kafka/server.properties.in" >"${props}"
  if [[ ! -f "${home}/data/meta.properties" ]]; then
    echo "kafka: formatting KRaft storage in ${home}/data"
    local cluster_id
    cluster_id="$(java -cp "${libs}/*" kafka.tools.StorageTool random-uuid)"
    java -cp "${libs}/*" -Dlog4j2.configurationFile="${here}/kafka/log4j2.yaml" \
      -Dkafka.logs.dir="${logdir}" kafka.tools.StorageTool format --ignore-formatted \
      --standalone -t "${cluster_id}" -c "${props}" >/dev/null
  fi
  echo "kafka: starting ${KAFKA_VERSION} on ${KAFKA_BROKERS}"
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${here}/kafka/log4j2.yaml" -Dkafka.logs.dir="${logdir}" \
    -cp "${libs}/*" kafka.Kafka "${props}" >"${logdir}/stdout.log" 2>&1 &
  echo $! >"${pidfile}"
  for _ in $(seq 1 120); do
    if ready; then
      echo "kafka: ready"
      return
    fi
    if ! running; then
      echo "kafka: broker exited during start-up; see ${logdir}/stdout.log" >&2
      tail -n 20 "${logdir}/stdout.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "kafka: not ready after 60 s; see ${logdir}/stdout.log" >&2
  exit 1
}

stop() {
  if ! running; then
    echo "kafka: not running"
    rm -f "${pidfile}"
    return
  fi
  local pid
  pid="$(cat "${pidfile}")"
  echo "kafka: stopping (pid ${pid})"
  kill "${pid}"
  for _ in $(seq 1 60); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      rm -f "${pidfile}"
      return
    fi
    sleep 0.5
  done
  echo "kafka: broker did not stop in 30 s; killing it" >&2
  kill -9 "${pid}" || true
  rm -f "${pidfile}"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if running && ready; then echo "kafka: running"; else echo "kafka: stopped"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
