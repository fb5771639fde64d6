#!/usr/bin/env bash
# `make bench`: the standard benchmarks (10k and 100k rows, encode, api, Elasticsearch at 100k:
# about 20 minutes on 2 idle cores from a fresh clone).
# BENCH_FULL=1 make bench adds the 1M rows (ingest then match on the same 1M index; +10 min).
# BENCH_ONLY="encode ingest match api es" runs just the named stages.
# Every result is printed as one JSON line and appended to var/bench/results.jsonl;
# docs/performance.md holds the figures and how to read them.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export PYTHONPATH=.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# Start from fresh benchmark data each time (the label-embedding cache in var/cache is kept).
ONLY=" ${BENCH_ONLY:-encode ingest match api es} "
stage() { [[ $ONLY == *" $1 "* ]]; }
N="10000 100000"
[[ "${BENCH_FULL:-0}" == "1" ]] && N="$N 1000000"
if stage ingest; then
  for n in $N; do rm -rf "var/bench/ingest-$n" "var/bench/match-$n"; done
fi
if stage encode; then echo "== encode"; $PY -m bench.encode; fi
if stage ingest; then echo "== ingest"; $PY -m bench.ingest --n $N; fi
if stage match; then echo "== match"; $PY -m bench.match --n $N; fi
if stage api; then echo "== api"; $PY -m bench.api --n 100000; fi
# Elasticsearch backend: uses SHETU_ELASTICSEARCH_URL (or one this checkout's
# scripts/services.sh started) when it answers; otherwise starts the local ES with
# scripts/services.sh (installed from the Maven cache if missing) and stops it again on exit.
# BENCH_ES=0 skips it.
es_env() { bash scripts/services.sh env 2>/dev/null | grep '^export SHETU_ELASTICSEARCH_URL=' || true; }
if stage es && [[ "${BENCH_ES:-1}" != "0" ]]; then
  [[ -n "${SHETU_ELASTICSEARCH_URL:-}" ]] || eval "$(es_env)"
  if ! curl -sf "${SHETU_ELASTICSEARCH_URL:-http://127.0.0.1:9200}/_cluster/health" >/dev/null 2>&1; then
    if bash scripts/services.sh up es; then
      trap 'bash scripts/services.sh down es' EXIT
      eval "$(es_env)"
    fi
  fi
  if curl -sf "${SHETU_ELASTICSEARCH_URL:-http://127.0.0.1:9200}/_cluster/health" >/dev/null 2>&1; then
    export SHETU_ELASTICSEARCH_URL=${SHETU_ELASTICSEARCH_URL:-http://127.0.0.1:9200}
    echo "== es ($SHETU_ELASTICSEARCH_URL)"; $PY -m bench.es --n 100000
  else
    echo "== es: skipped (Elasticsearch did not start; see bash scripts/services.sh status)"
  fi
fi
echo "results: var/bench/results.jsonl"
