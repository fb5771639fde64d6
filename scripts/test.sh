#!/usr/bin/env bash
# Run the whole suite. Starts Redis, PostgreSQL and Elasticsearch first (scripts/services.sh)
# so integration tests run for real; SHETU_SKIP_SERVICES=1 runs without them (they then skip).
set -euo pipefail
cd "$(dirname "$0")/.."
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
if [ "${SHETU_SKIP_SERVICES:-0}" != "1" ] && [ -f scripts/services.sh ]; then
  bash scripts/services.sh up
  eval "$(bash scripts/services.sh env)"
fi
# The browser tests drive Debian's chromium (Playwright downloads no browser here).
if [ "${SHETU_SKIP_SERVICES:-0}" != "1" ] && ! command -v chromium >/dev/null 2>&1 \
    && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing Debian chromium for the browser tests..."
  (apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }) \
    || echo "warning: could not install chromium; the browser tests will be skipped" >&2
fi
# The whole suite (no arguments: `make test`, CI) starts with the linters, so a lint finding
# fails CI like a test does: ruff (~1 s) and mypy over the six packages (~1.5 min cold).
if [ "$#" -eq 0 ]; then
  echo "lint: ruff and mypy..."
  .venv/bin/ruff check .
  .venv/bin/mypy
fi
exec .venv/bin/python -m pytest "$@"
