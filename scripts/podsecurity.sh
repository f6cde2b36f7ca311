#!/usr/bin/env bash
# Builds scripts/podsecurity (Kubernetes' own Pod Security admission evaluator, k8s.io/pod-security-admission at
# the version go.mod pins) into the project's cache, once per change of its source, and prints the binary's path.
#   scripts/podsecurity.sh                      build if missing, print the path
#   scripts/podsecurity.sh run [flags] < in     build if missing, then evaluate (see scripts/podsecurity/main.go)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SOURCE="$HERE/podsecurity"
CACHE="${CME_CACHE_DIR:-$HOME/.cache/cme}"
DIGEST="$(cat "$SOURCE/go.mod" "$SOURCE/go.sum" "$SOURCE/main.go" | sha256sum | cut -c1-16)"
BINARY="$CACHE/podsecurity-$DIGEST/podsecurity"

if [[ ! -x "$BINARY" ]]; then
  echo "podsecurity: building $SOURCE (modules from the Go module proxy) into $(dirname "$BINARY")" >&2
  mkdir -p "$(dirname "$BINARY")"
  (cd "$SOURCE" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$BINARY.partial" .)
  mv "$BINARY.partial" "$BINARY"
fi

case "${1:-}" in
  "") echo "$BINARY" ;;
  run) shift; exec "$BINARY" "$@" ;;
  *) echo "usage: $0 [run [flags]]" >&2; exit 2 ;;
esac
