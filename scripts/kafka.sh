#!/usr/bin/env bash
# A single-node KRaft Kafka broker for development and tests, built from Maven Central jars (no Docker).
#   scripts/kafka.sh fetch | start | stop | status | env | password USER
# Idempotent: start is a no-op when the broker already answers; stop is a no-op when nothing runs.
#
# CME_KAFKA_BROKER_SECURITY=SASL_SSL starts it the way production runs Kafka instead: TLS with a throwaway CA made
# at first start, SCRAM-SHA-512 logins for every KafkaUser of deploy/k8s/base/kafka-users.yaml plus a super-user
# `admin`, and those users' ACLs enforced (allow.everyone.if.no.acl.found=false). Give it its own port and state:
#   CME_KAFKA_BROKER_SECURITY=SASL_SSL CME_KAFKA_PORT=9192 CME_KAFKA_CONTROLLER_PORT=9193 \
#     CME_STATE_DIR=/tmp/cme-sasl scripts/kafka.sh start
# `env` then prints the client settings of the admin user; `password cme-intake` prints that user's password.
set -euo pipefail

KAFKA_VERSION="${KAFKA_VERSION:-4.1.2}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${CME_CACHE_DIR:-$HOME/.cache/cme}"
KAFKA_LIB="$CACHE/kafka-$KAFKA_VERSION/lib"
STATE="${CME_STATE_DIR:-/tmp/cme-$(id -u)}/kafka"
PORT="${CME_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${CME_KAFKA_CONTROLLER_PORT:-9093}"
PIDFILE="$STATE/kafka.pid"
SECURITY="${CME_KAFKA_BROKER_SECURITY:-PLAINTEXT}"
TLS="$STATE/tls"
USERS_DIR="$STATE/users"
KAFKA_USERS="$HERE/../deploy/k8s/base/kafka-users.yaml"

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

# The users a secured broker knows: a super-user for administration, and every KafkaUser the cluster has.
scram_users() {
  echo admin
  awk '/^kind: KafkaUser$/ {user = 1} user && /^  name: / {print $2; user = 0}' "$KAFKA_USERS"
}

password_of() { cat "$USERS_DIR/$1"; }

# A CA and a broker certificate for 127.0.0.1 and localhost, valid for 30 days: throwaway, never leaves $STATE.
tls_material() {
  [[ -f "$TLS/broker.pem" ]] && return 0
  mkdir -p "$TLS"
  chmod 700 "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=cme-local-kafka-ca" \
    -keyout "$TLS/ca.key" -out "$TLS/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$TLS/broker.key.pem" -out "$TLS/broker.csr" \
    2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n' >"$TLS/broker.ext"
  openssl x509 -req -in "$TLS/broker.csr" -CA "$TLS/ca.crt" -CAkey "$TLS/ca.key" -CAcreateserial -days 30 \
    -extfile "$TLS/broker.ext" -out "$TLS/broker.crt" 2>/dev/null
  # Kafka's PEM key store: an unencrypted PKCS#8 key followed by the certificate chain.
  openssl pkcs8 -topk8 -nocrypt -in "$TLS/broker.key.pem" -out "$TLS/broker.key"
  cat "$TLS/broker.key" "$TLS/broker.crt" "$TLS/ca.crt" >"$TLS/broker.pem"
}

user_passwords() {
  mkdir -p "$USERS_DIR"
  chmod 700 "$USERS_DIR"
  local user
  for user in $(scram_users); do
    [[ -f "$USERS_DIR/$user" ]] || (umask 077; openssl rand -hex 24 >"$USERS_DIR/$user")
  done
}

listener_properties() {
  if [[ "$SECURITY" == SASL_SSL ]]; then
    cat <<PROPS
listeners=SASL_SSL://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$PORT
inter.broker.listener.name=SASL_SSL
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
ssl.keystore.type=PEM
ssl.keystore.location=$TLS/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.crt
ssl.endpoint.identification.algorithm=https
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# admin for the broker itself and the operator; ANONYMOUS is the controller listener's principal, which is
# plaintext but bound to loopback only.
super.users=User:admin;User:ANONYMOUS
auto.create.topics.enable=false
PROPS
  else
    cat <<PROPS
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
auto.create.topics.enable=true
PROPS
  fi
}

admin_client_properties() {
  cat >"$TLS/admin.properties" <<PROPS
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$(password_of admin)";
ssl.truststore.type=PEM
ssl.truststore.location=$TLS/ca.crt
PROPS
  chmod 600 "$TLS/admin.properties"
}

apply_acls() {
  admin_client_properties
  java -Xmx128m -cp "$KAFKA_LIB/*" "$HERE/kafka/KafkaUserAcls.java" \
    apply "127.0.0.1:$PORT" "$TLS/admin.properties" "$KAFKA_USERS"
}

# SCRAM logins are written when the storage is formatted, so a secured broker formatted before a KafkaUser was
# added would refuse that user for ever: its throwaway storage is formatted again whenever the list changes.
users_changed() {
  [[ "$SECURITY" == SASL_SSL ]] && [[ "$(cat "$STATE/scram-users" 2>/dev/null)" != "$(scram_users | sort | xargs)" ]]
}

start() {
  if answers && users_changed; then
    log "the KafkaUsers changed since this broker's storage was formatted: restarting it with fresh storage"
    stop
  fi
  if answers; then log "already running on 127.0.0.1:$PORT"; return 0; fi
  fetch
  if users_changed; then rm -rf "$STATE/data"; fi
  mkdir -p "$STATE/data" "$STATE/logs"
  local format_options=()
  if [[ "$SECURITY" == SASL_SSL ]]; then
    tls_material
    user_passwords
    scram_users | sort | xargs >"$STATE/scram-users"
    local user
    # SCRAM credentials are metadata records: written when the storage is formatted, before the first start.
    for user in $(scram_users); do
      format_options+=(--add-scram "SCRAM-SHA-512=[name=$user,password=$(password_of "$user")]")
    done
  elif [[ "$SECURITY" != PLAINTEXT ]]; then
    log "CME_KAFKA_BROKER_SECURITY must be PLAINTEXT or SASL_SSL, not $SECURITY"
    return 2
  fi
  cat >"$STATE/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
controller.listener.names=CONTROLLER
$(listener_properties)
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
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
PROPS
  local jvm=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:ParallelGCThreads=2 -XX:ConcGCThreads=1
    -XX:TieredStopAtLevel=1 -Djava.awt.headless=true -Dkafka.logs.dir="$STATE/logs"
    -Dlog4j2.configurationFile="file:$HERE/kafka/log4j2.properties")
  if [[ ! -f "$STATE/data/meta.properties" ]]; then
    java "${jvm[@]}" -cp "$KAFKA_LIB/*" kafka.tools.StorageTool format \
      -t "MkU3OEVBNTcwNTJENDM2Qk" -c "$STATE/server.properties" --ignore-formatted ${format_options[@]+"${format_options[@]}"} \
      >"$STATE/logs/format.log" 2>&1
  fi
  nohup java "${jvm[@]}" -cp "$KAFKA_LIB/*" kafka.Kafka "$STATE/server.properties" \
    >"$STATE/logs/stdout.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 120); do
    if answers; then
      if [[ "$SECURITY" == SASL_SSL ]]; then apply_acls; fi
      log "started $SECURITY on 127.0.0.1:$PORT (pid $(cat "$PIDFILE"), logs in $STATE/logs)"
      return 0
    fi
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
  reset) stop; rm -rf "$STATE/data" "$TLS" "$USERS_DIR" ;;
  status) if answers; then echo "running on 127.0.0.1:$PORT"; else echo "not running"; exit 1; fi ;;
  env)
    echo "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$PORT"
    if [[ "$SECURITY" == SASL_SSL ]]; then
      echo "CME_KAFKA_SECURITY_PROTOCOL=SASL_SSL"
      echo "CME_KAFKA_SASL_MECHANISM=SCRAM-SHA-512"
      echo "CME_KAFKA_CA_FILE=$TLS/ca.crt"
      echo "CME_KAFKA_USERNAME=admin"
      echo "CME_KAFKA_PASSWORD=$(password_of admin)"
    fi
    ;;
  password) password_of "${2:?usage: $0 password USER}" ;;
  *) echo "usage: $0 fetch|start|stop|reset|status|env|password USER" >&2; exit 2 ;;
esac
