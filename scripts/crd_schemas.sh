#!/usr/bin/env bash
# The published CustomResourceDefinitions of the operators the manifests use, from package registries, cached once:
#   - Strimzi's KafkaTopic and KafkaUser: Strimzi publishes its API model (io.strimzi:api) and its CRD generator
#     (io.strimzi:crd-generator) on Maven Central, and its release CRDs (packaging/install/cluster-operator/
#     043-Crd-kafkatopic.yaml, 044-Crd-kafkauser.yaml) are that generator's output for that model. We run the same
#     generator on the same model with the arguments of the api module's own pom.
#   - KEDA's ScaledObject and TriggerAuthentication: KEDA is a Go module (github.com/kedacore/keda/v2) whose
#     config/crd/bases/ holds its release CRDs; the go command fetches the module from the Go module proxy.
#   scripts/crd_schemas.sh      fetch if missing, print the directory that holds the CRD files
set -euo pipefail

STRIMZI_VERSION="${STRIMZI_VERSION:-1.2.0}"
# v2.21.0 is the newest KEDA release whose module this machine's Go (1.26) accepts; v2.21.1 needs Go 1.27.4.
KEDA_VERSION="${KEDA_VERSION:-v2.21.0}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${CME_CACHE_DIR:-$HOME/.cache/cme}"
OUT="$CACHE/crds/strimzi-$STRIMZI_VERSION-keda-$KEDA_VERSION"

log() { echo "crd_schemas: $*" >&2; }

# Strimzi 1.x is built for Java 21; the machine's default Java may be 17, so find a newer JDK beside it.
java_21_or_newer() {
  local candidate version
  for candidate in "${JAVA_HOME:-}/bin/java" "$(command -v java || true)" /usr/lib/jvm/*/bin/java; do
    [[ -x "$candidate" ]] || continue
    version="$("$candidate" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
    if [[ "${version%%.*}" -ge 21 ]]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

strimzi() {
  local lib="$CACHE/strimzi-crd-generator-$STRIMZI_VERSION/lib" java
  if [[ ! -f "$lib/api-$STRIMZI_VERSION.jar" ]]; then
    log "fetching io.strimzi:api and io.strimzi:crd-generator $STRIMZI_VERSION from Maven Central"
    rm -rf "$lib.partial"
    mvn -B -q -f "$HERE/crds/strimzi-pom.xml" -Dstrimzi.version="$STRIMZI_VERSION" \
      org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$lib.partial" >&2
    mkdir -p "$(dirname "$lib")"
    mv "$lib.partial" "$lib"
  fi
  if ! java="$(java_21_or_newer)"; then
    log "Strimzi $STRIMZI_VERSION's CRD generator needs Java 21 or newer (set JAVA_HOME)"
    return 1
  fi
  # The arguments of io.strimzi:api's pom (exec-maven-plugin, CrdGenerator), for the two kinds the suite uses.
  "$java" -cp "$lib/*" io.strimzi.crdgenerator.CrdGenerator \
    --label app:strimzi --label strimzi.io/crd-install:true \
    --target-kube 1.16+ --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$1/strimzi-043-Crd-kafkatopic.yaml" \
    "io.strimzi.api.kafka.model.user.KafkaUser=$1/strimzi-044-Crd-kafkauser.yaml" >&2
}

keda() {
  local module
  module="$(GOTOOLCHAIN=local GOFLAGS=-mod=mod go mod download -json "github.com/kedacore/keda/v2@$KEDA_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$module" ]] || { log "could not fetch github.com/kedacore/keda/v2@$KEDA_VERSION"; return 1; }
  cp "$module/config/crd/bases/keda.sh_scaledobjects.yaml" "$1/keda-scaledobjects.yaml"
  cp "$module/config/crd/bases/keda.sh_triggerauthentications.yaml" "$1/keda-triggerauthentications.yaml"
}

if [[ ! -f "$OUT/complete" ]]; then
  rm -rf "$OUT.partial"
  mkdir -p "$OUT.partial"
  strimzi "$OUT.partial"
  keda "$OUT.partial"
  touch "$OUT.partial/complete"
  rm -rf "$OUT"
  mv "$OUT.partial" "$OUT"
fi
echo "$OUT"
