#!/usr/bin/env bash
# The real kustomize, built from its Go module (sigs.k8s.io/kustomize/kustomize/v5) taken from the Go module proxy,
# at a pinned version, into the project's cache. Installs once; later calls only print the binary's path.
#   scripts/kustomize.sh            install if missing, print the path of the binary
#   scripts/kustomize.sh build DIR  install if missing, then run `kustomize build DIR`
set -euo pipefail

# v5.8.2 is the newest release that builds with this machine's Go (1.26); v5.8.3 needs Go 1.27.
KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.8.2}"
CACHE="${CME_CACHE_DIR:-$HOME/.cache/cme}"
BIN_DIR="$CACHE/kustomize-$KUSTOMIZE_VERSION"
BINARY="$BIN_DIR/kustomize"

log() { echo "kustomize: $*" >&2; }

install() {
  if [[ -x "$BINARY" ]]; then
    return 0
  fi
  command -v go >/dev/null 2>&1 || { log "needs the Go toolchain (go) to build kustomize"; return 1; }
  log "building sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION from the Go module proxy into $BIN_DIR"
  local partial="$BIN_DIR.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
  # GOTOOLCHAIN=local: build with the machine's Go, never fetch another toolchain behind our back.
  # GOFLAGS=-mod=mod: ignore any go.work or vendor directory of the current directory.
  GOBIN="$partial" GOTOOLCHAIN=local GOFLAGS=-mod=mod \
    go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION" >&2
  rm -rf "$BIN_DIR"
  mv "$partial" "$BIN_DIR"
}

case "${1:-}" in
  "")
    install
    echo "$BINARY"
    ;;
  build)
    install
    shift
    exec "$BINARY" build "$@"
    ;;
  version)
    install
    exec "$BINARY" version
    ;;
  *)
    echo "usage: $0 [build DIR | version]" >&2
    exit 2
    ;;
esac
