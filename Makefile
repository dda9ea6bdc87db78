# CQS: `make run` serves the demo, `make test` runs every check. GNU make; no root needed.
# PORT, DATABASE_URL and the other CQS_* variables (README) pass through to the commands.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(BIN):$(PATH)

# The OpenAPI schema is the production contract, so it is generated with PostgreSQL's integer
# ranges (Django takes them from the database backend: SQLite's are all 64-bit). Nothing connects
# to this address; it only selects the backend.
SCHEMA_DB := postgres://openapi@127.0.0.1:1/openapi

.PHONY: help install assets static run test lint format openapi bench lock clean

help:
	@echo "make run     install, build assets, migrate, load the demo and serve on http://127.0.0.1:$${PORT:-8000}"
	@echo "make test    lint, deploy checks, migrations, OpenAPI drift and the whole test suite"
	@echo "make bench   benchmarks with ratios against a baseline measured in the same run"
	@echo "other:       install assets lint format openapi lock clean"

# The virtualenv is (re)installed only when the dependency files change.
install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	@touch $@

assets: install
	cqs assets

static: assets
	cqs collectstatic --noinput --verbosity 0

run: static
	cqs migrate --noinput
	cqs demo
	exec cqs serve --fakes

test: static
	ruff check .
	ruff format --check .
	# The generated SECRET_KEY (var/secret_key) must itself pass the deploy checks.
	env -u CQS_SECRET_KEY -u CQS_DEBUG cqs check --deploy --fail-level WARNING
	cqs makemigrations --check --dry-run
	@mkdir -p build
	DATABASE_URL=$(SCHEMA_DB) cqs spectacular --validate --fail-on-warn --file build/openapi.yaml
	diff -u docs/api/openapi.yaml build/openapi.yaml || { echo "docs/api/openapi.yaml is out of date: run make openapi"; exit 1; }
	pytest -p no:cacheprovider

lint: install
	ruff check .
	ruff format --check .

format: install
	ruff check --fix .
	ruff format .

openapi: install
	@mkdir -p docs/api
	DATABASE_URL=$(SCHEMA_DB) cqs spectacular --validate --fail-on-warn --file docs/api/openapi.yaml

# The dossier API under load (bench/bench_onestop.py) needs DATABASE_URL (PostgreSQL) and wrk,
# and says "skipped" without them; it exits non-zero when a target of issue 3 is missed (the
# leading "-" lets the statistics benchmark run anyway).
bench: install
	python bench/run.py
	-python bench/bench_onestop.py
	python bench/bench_stats.py
	-python bench/bench_signing.py
	-python bench/bench_documents_register.py
	python bench/bench_documents_search.py
	-python bench/bench_reporting_import.py
	python bench/bench_reporting_rollup.py
	# The LGSP gateway (bench/bench_lgsp_gateway.py): HAProxy and wrk from Debian, about 3 minutes.
	-python bench/bench_lgsp_gateway.py
	# Citizen feedback: Open311 search and the public map with 1,000,000 reports (PostgreSQL).
	-python bench/bench_feedback.py

# Re-resolve every dependency to the newest allowed version in a scratch virtualenv and pin
# the result; review the diff of requirements.lock before committing it.
lock:
	rm -rf build/lock-venv
	$(PYTHON) -m venv build/lock-venv
	build/lock-venv/bin/python -m pip install --quiet --disable-pip-version-check '.[dev]'
	{ echo "# Pip constraints: the exact versions every install uses (make install). Regenerate with make lock."; \
	  build/lock-venv/bin/python -m pip freeze --all --exclude cqs --exclude pip --exclude setuptools --exclude wheel; } > requirements.lock
	rm -rf build/lock-venv

# Never touches var/ (the database, uploaded files and the secret key live there).
clean:
	rm -rf build .pytest_cache .ruff_cache test-results
	find src tests bench -name __pycache__ -type d -prune -exec rm -rf {} +
