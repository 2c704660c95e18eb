# Everything installs from lock files on first use: nobody runs anything before `make dev` or `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/uv/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: help install dev test test-python lint-js bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

install: $(VENV)/.synced node_modules/.installed ## Install the Python and node toolchains from their lock files

dev: $(VENV)/.synced ## Run the local stack (PORT=4000 API_KEY=local-dev-api-key by default)
	$(PY) -m local $(if $(PORT),--port $(PORT)) $(if $(API_KEY),--api-key $(API_KEY))

lint-js: node_modules/.installed ## Lint the resolvers against the APPSYNC_JS rules
	npx --no-install eslint graphql

test-python: $(VENV)/.synced
	$(PY) -m pytest $(PYTEST_ARGS)

test: install lint-js test-python ## Everything CI checks

bench: $(VENV)/.synced ## Measure the local stack and the handlers (figures go into bench/results)
	$(PY) -m bench

clean: ## Remove installed toolchains and caches
	rm -rf $(VENV) $(TOOLS) node_modules .pytest_cache
