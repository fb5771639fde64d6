#!/usr/bin/env bash
# `make bench`: the standard benchmarks (10k and 100k rows, about 15 minutes on 2 cores).
# BENCH_FULL=1 make bench adds the 1M rows (ingest then match on the same 1M index; ~1 hour).
# Every result is printed as one JSON line and appended to var/bench/results.jsonl;
# docs/performance.md holds the figures and how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PYTHONPATH=.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# Start from fresh benchmark data each time (the label-embedding cache in var/cache is kept).
N="10000 100000"
rm -rf var/bench/ingest-10000 var/bench/ingest-100000 var/bench/match-10000 var/bench/match-100000
if [[ "${BENCH_FULL:-0}" == "1" ]]; then
  N="$N 1000000"
  rm -rf var/bench/ingest-1000000 var/bench/match-1000000
fi
echo "== encode"; $PY -m bench.encode
echo "== ingest"; $PY -m bench.ingest --n $N
echo "== match";  $PY -m bench.match --n $N
echo "== api";    $PY -m bench.api --n 100000
# Elasticsearch backend: uses SHETU_ELASTICSEARCH_URL when it answers, otherwise starts the
# local ES with scripts/services.sh (installed from the Maven cache if missing) and stops it
# afterwards. BENCH_ES=0 skips it.
if [[ "${BENCH_ES:-1}" != "0" ]]; then
  started_es=0
  if ! curl -sf "${SHETU_ELASTICSEARCH_URL:-http://127.0.0.1:9200}" >/dev/null 2>&1; then
    if bash scripts/services.sh up es; then
      started_es=1
      eval "$(bash scripts/services.sh env)"
    fi
  fi
  if curl -sf "${SHETU_ELASTICSEARCH_URL:-http://127.0.0.1:9200}" >/dev/null 2>&1; then
    export SHETU_ELASTICSEARCH_URL=${SHETU_ELASTICSEARCH_URL:-http://127.0.0.1:9200}
    echo "== es ($SHETU_ELASTICSEARCH_URL)"; $PY -m bench.es --n 100000
  else
    echo "== es: skipped (Elasticsearch did not start; see bash scripts/services.sh status)"
  fi
  if [[ $started_es == 1 ]]; then bash scripts/services.sh down es; fi
fi
echo "results: var/bench/results.jsonl"
