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
exec .venv/bin/python -m pytest "$@"
