# Shetu — `make run` serves the demo, `make test` runs the whole suite (services included).
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SHETU := $(VENV)/bin/shetu
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*?## "}{printf "  \033[1m%-16s\033[0m %s\n", $$1, $$2}'

install: ## Create .venv and install Shetu with all extras
	@bash scripts/bootstrap.sh

run: install ## Migrate, seed demo data if empty, index, serve web + API on 127.0.0.1:8000
	@SHETU_ENV=$${SHETU_ENV:-dev} $(SHETU) migrate
	@SHETU_ENV=$${SHETU_ENV:-dev} $(SHETU) seed --if-empty
	@SHETU_ENV=$${SHETU_ENV:-dev} $(SHETU) serve

services: ## Start Redis, PostgreSQL and Elasticsearch on 127.0.0.1 (installs what is missing)
	@bash scripts/services.sh up

services-down: ## Stop the services started by `make services`
	@bash scripts/services.sh down

test: install ## Run the whole test suite (starts the services it needs)
	@bash scripts/test.sh

test-fast: install ## Run the tests that need no service and no real model
	@$(PY) -m pytest -q -m "not integration and not slow"

lint: install ## ruff and mypy
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/mypy

bench: install ## Run the standard benchmarks (see bench/)
	@bash scripts/bench.sh

clean: ## Remove local state (database, indexes, caches) — not the shared data
	rm -rf var/

.PHONY: help install run services services-down test test-fast lint bench clean
