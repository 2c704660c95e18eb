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
# Python keeps the bytecode it compiles: where PYTHONDONTWRITEBYTECODE is set (as on our machines and CI), every
# process would compile boto3, moto and the rest from source again (a local stack's imports: 2.9 s of CPU, not 1).
unexport PYTHONDONTWRITEBYTECODE

TERRAFORM ?= terraform
TF := $(TERRAFORM) -chdir=terraform
# Checked before `terraform init`; empty skips the check (for a provider mirror in Terraform's CLI configuration).
TERRAFORM_REGISTRY ?= https://registry.terraform.io
# Before Terraform runs (tools/environments.py): TF_INIT checks that the registry answers or the providers are
# installed (and AWS credentials with --credentials), then runs terraform init; SELECT_ENV selects an applied
# environment's workspace. Each says what is missing in one line, and stops.
ENVIRONMENTS = $(PY) -m tools.environments --terraform "$(TERRAFORM)" --chdir terraform
TF_INIT = $(ENVIRONMENTS) init --registry "$(TERRAFORM_REGISTRY)"
SELECT_ENV = $(ENVIRONMENTS) select $(ENV)
CHECKOV := $(TOOLS)/checkov/bin/checkov

.PHONY: help install chromium dev test test-python lint-js lint-python checkov terraform-test fmt docs schema bench bench-quick clean init plan apply outputs destroy channels pause resume
# Prerequisites of the targets above, not run by hand (the only phony targets without a `##` help line).
INTERNAL_TARGETS := env-check test-installs
.PHONY: $(INTERNAL_TARGETS)

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_.-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
		'{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1) } END { for (i = 1; i <= NR; i++) printf "  make %-" width "s  %s\n", name[i], text[i] }'

# uv in a virtualenv of its own, installed by the interpreter's own pip where it can install into another
# environment (pip 22.3 and later): a virtualenv without a pip of its own is made in a tenth of the time.
$(UV):
	$(PYTHON) -m venv --without-pip $(TOOLS)/uv
	if $(PYTHON) -m pip --python $(TOOLS)/uv/bin/python --version >/dev/null 2>&1; \
	then pip=($(PYTHON) -m pip --python $(TOOLS)/uv/bin/python); \
	else $(TOOLS)/uv/bin/python -m ensurepip --default-pip >/dev/null && pip=($(TOOLS)/uv/bin/python -m pip) || exit 1; fi; \
	"$${pip[@]}" install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	@touch $@

# checkov pins boto3 and an HCL parser that clash with ours, so it lives in its own environment. Its JSONPath
# parser's tables are written once here, not built again on every parse of every scan (tools/checkov/parse_tables.py).
$(CHECKOV): tools/checkov/requirements.txt tools/checkov/parse_tables.py | $(UV)
	rm -rf $(TOOLS)/checkov
	$(UV) venv --quiet $(TOOLS)/checkov
	UV_COMPILE_BYTECODE=1 $(UV) pip sync --quiet --python $(TOOLS)/checkov/bin/python tools/checkov/requirements.txt
	$(TOOLS)/checkov/bin/python tools/checkov/parse_tables.py >/dev/null
	$(TOOLS)/checkov/bin/python -m compileall -q $(TOOLS)/checkov/lib/python3*/site-packages/bc_jsonpath_ng
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

TOOLCHAINS := $(VENV)/.synced node_modules/.installed
install: $(TOOLCHAINS) ## Install the Python and node toolchains from their lock files

# The browser tests drive Debian's chromium package with Playwright (which never downloads a browser here).
# Installed where that can be done (Debian, as root); anywhere else, or if apt fails, the browser tests skip and
# pytest's summary says what is missing.
chromium: ## Install Debian's chromium for the browser tests (on Debian, as root)
	@if command -v chromium >/dev/null || [ -n "$$CHROMIUM" ]; then exit 0; fi; \
	if [ -r /etc/debian_version ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing Debian's chromium for the browser tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
			|| echo "could not install chromium: the browser tests will skip"; \
	else \
		echo "chromium: not on PATH, and installed only on Debian as root: the browser tests will skip"; \
	fi

dev: $(VENV)/.synced node_modules/.installed ## Run the local stack and its console (PORT=4000 API_KEY=local-dev-api-key by default)
	$(PY) -m local $(if $(PORT),--port $(PORT)) $(if $(API_KEY),--api-key $(API_KEY))

lint-js: node_modules/.installed ## Lint the resolvers against the APPSYNC_JS rules, and the console's modules
	npx --no-install eslint graphql local/console

# One mypy run checks the project, and the Lambda handlers with every flag --strict sets (pyproject.toml's overrides,
# pinned by tests/test_mypy_config.py): a second `mypy --strict handlers` would check their imports all over again.
lint-python: $(VENV)/.synced ## ruff, and mypy (strict on the Lambda handlers)
	$(VENV)/bin/ruff check handlers local tools bench tests
	$(VENV)/bin/mypy

# CKV_SKIP_PACKAGE_UPDATE_CHECK: checkov would otherwise ask PyPI for a newer release of itself (at most once a day,
# up to a second's wait); ours is pinned, and its quiet output would not show the answer.
checkov: $(CHECKOV) ## Policy-check the Terraform (zero failed checks; skips are inline with reasons)
	CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(CHECKOV) --config-file .checkov.yaml

# pytest-xdist: two workers per core by default (at most 8): the tests wait on their stacks' timers and settle
# times about half the time, and a second worker per core runs while one waits. A module's tests stay on one worker
# (loadscope), so the stack a module starts is started once (a folder's shared stack, once per worker).
# PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= $(shell cores=$$(nproc 2>/dev/null || echo 1); workers=$$((2 * cores)); echo $$((workers > 8 ? 8 : workers)))
test-python: $(VENV)/.synced ## Run pytest alone (PYTEST_ARGS="tests/e2e -x" picks a part; PYTEST_WORKERS=0 runs it without workers)
	$(PY) -m pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadscope) $(PYTEST_ARGS)

terraform-test: $(VENV)/.synced ## terraform fmt, validate and test of every module, the root and each environment (offline: schema-only providers)
	$(PY) -m tools.terraform_gate

# What `make test` installs first, side by side: they share nothing but uv, which make builds once before the two
# that use it; npm's takes longest, and the others fit beside it. Each one's output is printed whole when it ends
# (--output-sync); a failed one fails `make test` before any check starts. Under `make -jN` they share its N slots.
TEST_INSTALLS := $(TOOLCHAINS) chromium $(CHECKOV)
# Their one goal, with a recipe of its own so that make says nothing of those already installed.
test-installs: $(TEST_INSTALLS)
	@:
# The checks run side by side once everything is installed (tools/test_steps.py): each one's output is printed
# whole when it ends, pytest's last, then every step's verdict and time; any failure fails `make test`.
TEST_STEPS := lint-js lint-python checkov terraform-test test-python
test: ## Everything CI checks (the installs side by side, then the checks side by side)
	@$(MAKE) --no-print-directory $(if $(findstring --jobserver,$(MAKEFLAGS)),,-j$(words $(TEST_INSTALLS))) --output-sync=target test-installs
	@$(PY) -m tools.test_steps $(TEST_STEPS)

docs: $(VENV)/.synced ## Regenerate the inputs/outputs tables of the module READMEs
	$(PY) tools/module_docs.py

schema: $(VENV)/.synced ## Regenerate graphql/client-schema.graphql (the schema clients and code generators load) from graphql/schema.graphql
	$(PY) -m tools.client_schema

fmt: $(VENV)/.synced ## Format the Terraform files
	CHECKPOINT_DISABLE=1 $(TERRAFORM) fmt -recursive terraform
	CHECKPOINT_DISABLE=1 $(TERRAFORM) fmt -recursive modules
	CHECKPOINT_DISABLE=1 $(TERRAFORM) fmt -recursive envs

# --- Deploying (needs Terraform >= 1.10 on PATH and AWS credentials) --------------

env-check:
	@test -n "$(ENV)" || { echo "usage: make $(firstword $(MAKECMDGOALS)) ENV=dev|stage|prod"; exit 2; }
	@test -f envs/$(ENV).tfvars || { echo "envs/$(ENV).tfvars does not exist"; exit 2; }

init: $(VENV)/.synced ## terraform init; offline from installed providers when the registry is out of reach (remote state: envs/backend.tf.example)
	@$(TF_INIT)

# Where make plan writes the plan that make apply applies: relative to terraform/, or absolute.
PLAN_FILE ?= $(ENV).tfplan

plan: env-check $(VENV)/.synced ## Plan an environment: make plan ENV=dev (checks the registry and AWS credentials first; selects or creates the workspace)
	@$(TF_INIT) --credentials
	$(TF) workspace select -or-create $(ENV)
	$(TF) plan -input=false -var-file=../envs/$(ENV).tfvars -out=$(PLAN_FILE)

# The plan file holds every value of the plan, the API key included: it is removed once applied (or not).
apply: plan ## Apply an environment's plan, then print its URL (the key only with SHOW_KEY=1): make apply ENV=dev
	$(TF) apply -input=false $(PLAN_FILE); status=$$?; cd terraform && rm -f $(PLAN_FILE); exit $$status
	@$(MAKE) --no-print-directory outputs ENV=$(ENV)
	@$(MAKE) --no-print-directory smoke ENV=$(ENV)

outputs: env-check $(VENV)/.synced ## Print an environment's GraphQL URL, key expiry and dashboard; the key itself with SHOW_KEY=1
	@$(SELECT_ENV)
	@echo "graphql_url = $$($(TF) output -raw graphql_url)"
	@echo "graphql_api_arn = $$($(TF) output -raw graphql_api_arn)   (IAM callers: appsync:GraphQL on <arn>/types/<Type>/fields/<field>)"
	@echo "dashboard_url = $$($(TF) output -raw dashboard_url)"
	@if [ "$(SHOW_KEY)" = "1" ]; then echo "api_key     = $$($(TF) output -raw api_key)   (expires $$($(TF) output -raw api_key_expires))"; \
	else echo "api_key     = (hidden: make outputs ENV=$(ENV) SHOW_KEY=1; expires $$($(TF) output -raw api_key_expires))"; fi

# The channel guardrail of an environment (docs/operations.md#the-channel-guardrail): CHANNEL and REASON reach the
# tool through the environment (make exports command-line variables), so quotes in a reason stay intact.
channels: env-check $(VENV)/.synced ## Print whether EMAIL and SMS are paused, since when and why: make channels ENV=prod
	@$(SELECT_ENV)
	@$(PY) -m tools.channels --terraform "$(TERRAFORM)" status

pause: env-check $(VENV)/.synced ## Pause a channel now: make pause ENV=prod CHANNEL=EMAIL|SMS REASON="..."
	@$(SELECT_ENV)
	@$(PY) -m tools.channels --terraform "$(TERRAFORM)" pause "$$CHANNEL" --reason "$$REASON"

resume: env-check $(VENV)/.synced ## Resume a paused channel (deliberately: see the runbook): make resume ENV=prod CHANNEL=EMAIL|SMS
	@$(SELECT_ENV)
	@$(PY) -m tools.channels --terraform "$(TERRAFORM)" resume "$$CHANNEL" --reason "$$REASON"

destroy: env-check $(VENV)/.synced ## Destroy an environment (stage's and prod's tables refuse while deletion protection is on)
	@$(TF_INIT) --credentials
	@$(SELECT_ENV)
	$(TF) destroy -input=false -var-file=../envs/$(ENV).tfvars

bench: $(VENV)/.synced ## Measure the handlers, DynamoDB work, packages, the local stack (about 40 minutes; figures go into bench/results)
	$(PY) -m bench $(BENCH_ARGS)

bench-quick: $(VENV)/.synced ## Run every benchmark with small counts (a few minutes), to check they work; writes no results
	$(PY) -m bench --quick $(BENCH_ARGS)

# --- Clients and keys (docs/deployment.md#clients-and-keys) -------------------------------------
# The operators' API of an environment, signed with the operator's own AWS credentials (tools/operators.py). ENV=local
# calls the local stack (make dev, with the same PORT) and needs no tfvars nor workspace. NAME, CLIENT, KEY, MODE,
# EXPIRES, EMAIL_PER_DAY, SMS_PER_DAY, FIRST and AFTER reach the tool through the environment (make exports
# command-line variables), so quotes in a name stay intact.
.PHONY: client key revoke clients limits audit
OPERATORS_ENV_CHECK = $(if $(filter local,$(ENV)),,env-check)
OPERATORS = $(if $(filter local,$(ENV)),,$(TF) workspace select $(ENV) >/dev/null &&) $(PY) -m tools.operators --env "$(ENV)" --terraform "$(TERRAFORM)"

client: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## Create a client and its LIVE key, print the key once: make client ENV=dev NAME=shop [EMAIL_PER_DAY=.. SMS_PER_DAY=..]
	@$(OPERATORS) create-client --name="$$NAME" --email-per-day="$$EMAIL_PER_DAY" --sms-per-day="$$SMS_PER_DAY"

key: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## Create a key for a client, print it once: make key ENV=dev CLIENT=<id> [MODE=LIVE|TEST] [EXPIRES=2027-06-30]
	@$(OPERATORS) create-key --client="$$CLIENT" --mode="$$MODE" --expires="$$EXPIRES"

revoke: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## Revoke a key (it stops working within the authorizer's cache time): make revoke ENV=dev KEY=<key id>
	@$(OPERATORS) revoke --key="$$KEY"

clients: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## List the clients, their limits and keys (never a secret): make clients ENV=dev [CLIENT=<id>]
	@$(OPERATORS) clients --client="$$CLIENT"

limits: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## Change a client's daily limits: make limits ENV=dev CLIENT=<id> EMAIL_PER_DAY=5000 SMS_PER_DAY=100
	@$(OPERATORS) limits --client="$$CLIENT" --email-per-day="$$EMAIL_PER_DAY" --sms-per-day="$$SMS_PER_DAY"

audit: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## What operators did to clients and keys, newest first: make audit ENV=dev [FIRST=50] [AFTER=<cursor>]
	@$(OPERATORS) audit --first="$$FIRST" --after="$$AFTER"

# The smoke test (docs/deployment.md#the-smoke-test), signed as the operators' targets are; `make apply` ends with it.
# SMOKE_WAIT_SECONDS and SMOKE_SMS_TO reach the tool through the environment.
.PHONY: smoke
smoke: $(OPERATORS_ENV_CHECK) $(VENV)/.synced ## Prove an environment works end to end (make apply ends with it), as the client smoke: make smoke ENV=dev [SMOKE_SMS_TO=+44...]
	@$(if $(filter local,$(ENV)),,$(TF) workspace select $(ENV) >/dev/null &&) $(PY) -m tools.smoke --env "$(ENV)" --terraform "$(TERRAFORM)"

clean: ## Remove installed toolchains and caches
	rm -rf $(VENV) $(TOOLS) node_modules .pytest_cache
