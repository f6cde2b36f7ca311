#!/usr/bin/env bash
# Installs the pinned GOV.UK Frontend from the npm registry and copies its built assets where casework serves
# them (services/casework/entrypoints/web/static/vendor/, not committed). A no-op when the pinned version is already there.
set -euo pipefail
UI="$(cd "$(dirname "${BASH_SOURCE[0]}")/../services/casework/entrypoints/web/frontend" && pwd)"
VENDOR="$UI/../static/vendor/govuk-frontend"
VERSION="$(node -p "require('$UI/package.json').dependencies['govuk-frontend']")"
if [[ -f "$VENDOR/VERSION" && "$(cat "$VENDOR/VERSION")" == "$VERSION" ]]; then
  exit 0
fi
(cd "$UI" && npm ci --no-audit --no-fund --silent)
rm -rf "$VENDOR"
mkdir -p "$VENDOR"
cp -r "$UI/node_modules/govuk-frontend/dist/govuk/." "$VENDOR/"
echo "$VERSION" >"$VENDOR/VERSION"
echo "frontend: GOV.UK Frontend $VERSION installed" >&2
