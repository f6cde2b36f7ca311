#!/usr/bin/env bash
# A single-node KRaft Kafka broker for development and tests, built from Maven Central jars (no Docker).
#   scripts/kafka.sh fetch | start | stop | status | env
# Idempotent: start is a no-op when the broker already answers; stop is a no-op when nothing runs.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${CME_CACHE_DIR:-$HOME/.cache/cme}"
KAFKA_LIB="$CACHE/kafka-$KAFKA_VERSION/lib"
STATE="${CME_STATE_DIR:-/tmp/cme-$(id -u)}/kafka"
PORT="${CME_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${CME_KAFKA_CONTROLLER_PORT:-9093}"
PIDFILE="$STATE/kafka.pid"

log() { echo "kafka: $*" >&2; }

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid; pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

fetch() {
  if [[ -f "$KAFKA_LIB/kafka_2.13-$KAFKA_VERSION.jar" ]] && ls "$KAFKA_LIB" | grep -q log4j-slf4j; then
    return 0
  fi
  log "fetching Apache Kafka $KAFKA_VERSION and its dependencies from Maven Central into $KAFKA_LIB"
  local tmp="$KAFKA_LIB.partial"
  rm -rf "$tmp"
  mvn -B -q -f "$HERE/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
  mv "$tmp" "$KAFKA_LIB"
}

start() {
  if answers; then log "already running on 127.0.0.1:$PORT"; return 0; fi
  fetch
  mkdir -p "$STATE/data" "$STATE/logs"
  cat >"$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$STATE/data
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
PROPS
  local jvm=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:ParallelGCThreads=2 -XX:ConcGCThreads=1
    -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -Dkafka.logs.dir="$STATE/logs"
    -Dlog4j2.configurationFile="file:$HERE/kafka/log4j2.properties")
  if [[ ! -f "$STATE/data/meta.properties" ]]; then
    java "${jvm[@]}" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
      -t "MkU3OEVBNTcwNTJENDM2Qk" -c "$STATE/server.properties" --ignore-formatted >"$STATE/logs/format.log" 2>&1
  fi
  nohup java "${jvm[@]}" -cp "$KAFKA_LIB/*" kafka.Kafka "$STATE/server.properties" \
    >"$STATE/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if answers; then log "started on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), logs in $STATE/logs)"; return 0; fi
    if ! running_pid >/dev/null; then break; fi
    sleep 0.5
  done
  log "did not start; last lines of its log:"
  tail -n 40 "$STATE/logs/server.log" "$STATE/logs/stdout.log" >&2 || true
  return 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  kill -TERM "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PIDFILE"
  log "stopped"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$STATE/data" ;;
  status) if answers; then echo "running on 127.0.0.1:$PORT"; else echo "not running"; exit 1; fi ;;
  env) echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT" ;;
  *) echo "usage: $0 fetch|start|stop|reset|status|env" >&2; exit 2 ;;
esac
