#!/usr/bin/env bash
# Fetch axe-core (MPL-2.0) from the npm registry into a cache dir, for the browser tests'
# accessibility checks (tests/web/test_worker_browser.py injects axe.min.js into each page).
# Prints the path of axe.min.js. CI runs it before the tests; the tests run it if it is missing.
set -euo pipefail
VERSION="${AXE_VERSION:-4.14.1}"
CACHE="${SHETU_AXE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/shetu/axe-core-$VERSION}"
if [[ ! -s "$CACHE/axe.min.js" ]]; then
  mkdir -p "$CACHE"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack "axe-core@$VERSION" --silent >/dev/null)
  tar -xzf "$tmp"/axe-core-"$VERSION".tgz -C "$tmp" package/axe.min.js package/LICENSE
  mv "$tmp/package/axe.min.js" "$tmp/package/LICENSE" "$CACHE/"
fi
echo "$CACHE/axe.min.js"
