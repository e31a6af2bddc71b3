# The hospital management system's everyday commands. `make run` and `make test` are the two
# that matter; both build .venv on first use, so a fresh clone needs nothing else.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pyproject.toml being newer means "install again".
STAMP := $(VENV)/.hms-installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Extra pytest arguments: make test PYTEST_ARGS="-k billing -x"
PYTEST_ARGS ?=

.PHONY: help install run test stop lint bench check-deploy

help:
	@echo "make run           install, migrate, seed demo data once, serve http://$(HOST):$(PORT) with a job worker"
	@echo "make test          install, then run the whole test suite (browser journeys included)"
	@echo "make stop          stop the embedded PostgreSQL of this checkout"
	@echo "make lint          ruff check + ruff format --check + lint-imports (the layers)"
	@echo "make bench         run the benchmarks (bench/run.sh)"
	@echo "make check-deploy  Django's deployment checklist against the production settings"

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "HMS needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." \
		     "Run: make PYTHON=/path/to/python3.11 ..." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

run: install
	$(BIN)/python manage.py migrate --noinput
	@if $(BIN)/python manage.py db_is_empty; then \
		echo "Empty database: loading demo data (a minute or so)..."; \
		$(BIN)/python manage.py seed_demo && $(BIN)/python manage.py demo_accounts --base-url http://$(HOST):$(PORT); \
	else \
		echo "Database already has patients: demo data not loaded again. Demo logins:"; \
		$(BIN)/python manage.py demo_accounts --base-url http://$(HOST):$(PORT); \
	fi
	@echo "Serving http://$(HOST):$(PORT)/ with a job worker (Ctrl-C stops both; 'make stop' stops the database)"
	$(BIN)/python -m hms.launcher $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python -m hms.embedded stop; \
	else echo "No $(VENV): nothing to stop."; fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

bench: install
	@if [ -f bench/run.sh ]; then bash bench/run.sh; \
	else echo "No benchmarks yet: they arrive with the front-desk issue (bench/run.sh)."; fi

check-deploy: install
	HMS_ENV=production \
	DJANGO_SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
	DJANGO_ALLOWED_HOSTS=hms.example.org \
	$(BIN)/python manage.py check --deploy --fail-level WARNING
