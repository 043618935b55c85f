# Kosodate: the README's commands live here.
#   make run    start with demo data on SQLite at http://127.0.0.1:8000 (web server + worker)
#   make test   install what tests need and run every check and test (PostgreSQL + Redis + SQLite)
# Every Python tool comes from the project's own .venv, never from the machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/kosodate
REDIS_TEST_URL ?= redis://127.0.0.1:6379/9
HOST ?= 127.0.0.1
PORT ?= 8000
# The address every email and page names (settings.SITE_URL): where `make run` serves, unless set.
# A server listening on every interface (0.0.0.0) is reached on this machine at 127.0.0.1.
SITE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
# Extra pytest arguments, e.g. `make test PYTEST_ARGS="tests/core -x"`.
PYTEST_ARGS ?=
# The test run sees only what the command line gives it: no variable from the caller's shell that
# would point it at another database, cache or mail server (a leftover .env is ignored through
# pyproject's DJANGO_ENV_FILE=).
TEST_ENV := env -u DATABASE_URL -u REDIS_URL -u EMAIL_URL -u EMAIL_BACKEND -u SMS_BACKEND \
	-u DJANGO_DEBUG DJANGO_ENV_FILE=
PYTEST := $(VENV)/bin/pytest -p no:cacheprovider
# Checks that import the settings need no secret: they run as a developer would.
MANAGE := DJANGO_ENV_FILE= DJANGO_DEBUG=1 $(PY) manage.py

help:
	@echo "make run    start Kosodate with demo data on http://$(HOST):$(PORT) (Ctrl-C stops it)"
	@echo "make test   run every check and test (needs PostgreSQL, Redis; installs Chromium)"
	@echo "make lint   ruff, migrations, import contracts, types and translation checks only"
	@echo "make bench  the rush benchmarks (see docs/benchmarks.md)"
	@echo "make prod-local  the production shape on 127.0.0.1 (nginx, 2 web, 2 workers, PostgreSQL, Redis)"
	@echo "make restore-check  dump the production shape's database, restore it, sign in, decrypt"

# A venv made by another Python (or a half-made one) is replaced, not patched.
$(PY):
	@python=$$(scripts/find-python) && echo "Creating $(VENV) with $$python" && \
	  "$$python" -m venv --clear $(VENV)

# `pip install --group` (PEP 735) needs pip 25.1 or newer: upgrade pip first.
$(STAMP): pyproject.toml | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
	  { echo "$(VENV) uses Python < 3.12: remove it (rm -rf $(VENV)) and run make again." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --group dev
	@touch $@

install: $(STAMP)

# Translations are compiled from the committed .po files (msgfmt comes from Debian's gettext).
messages: $(STAMP)
	@scripts/ensure-packages gettext
	@$(MANAGE) compilemessages --ignore=$(VENV) >/dev/null

run: $(STAMP) messages
	@$(MANAGE) migrate --no-input >/dev/null
	@$(MANAGE) demo_data --url "$(SITE_URL)/"
	@echo "Starting the web server and the background worker; Ctrl-C stops both."
	@# The worker gets its own process group (setsid) so that stopping it also stops the child
	@# its autoreloader runs; the web server stops with Ctrl-C in the foreground.
	@export DJANGO_DEBUG=1 SITE_URL="$(SITE_URL)"; \
	  setsid $(PY) manage.py db_worker & worker=$$!; \
	  trap 'kill -TERM -- -$$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	  trap 'exit 0' INT TERM; \
	  $(PY) manage.py runserver --skip-checks $(HOST):$(PORT)

# The browser tests' Chromium and font; the fault tests' nginx and redis-server (tests/faults/).
chromium:
	@scripts/ensure-packages chromium font nginx redis

services:
	@scripts/check-services "$(PG_URL)" "$(REDIS_TEST_URL)"

# What mypy checks: core, and every app's services and selectors (a split module too).
TYPED = kosodate/core $(filter-out kosodate/core/%,$(wildcard kosodate/*/services.py \
	kosodate/*/services_*.py kosodate/*/services kosodate/*/selectors.py kosodate/*/selectors_*.py))

lint: $(STAMP) messages
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=sqlite://:memory: $(MANAGE) makemigrations --check --dry-run
	@# The floors (docs/architecture.md): the import contracts in pyproject.toml, and types.
	$(VENV)/bin/lint-imports
	DATABASE_URL=sqlite://:memory: DJANGO_ENV_FILE= DJANGO_DEBUG=1 $(VENV)/bin/mypy $(TYPED)

# One database leg as a shell command. pytest's exit code 5 means it ran no test: a failure for the
# full run (CI would otherwise pass having tested nothing), but fine when PYTEST_ARGS picked tests
# that one leg skips.
define pytest_leg
( status=0; $(TEST_ENV) $(1) $(PYTEST) --create-db $(2) $(PYTEST_ARGS) || status=$$?; \
  if [ $$status = 5 ]; then \
    if [ -n "$(strip $(PYTEST_ARGS))" ]; then status=0; \
    else echo "pytest collected no tests: the test run is broken." >&2; fi; \
  fi; exit $$status )
endef
PG_LEG = $(call pytest_leg,DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL),)
# The axe scan of every page runs once, on the PostgreSQL leg: the pages are the same on SQLite,
# and scanning them twice would double CI's longest step. Every other browser flow runs on both.
SQLITE_LEG = $(call pytest_leg,,-m "not postgres" --ignore=tests/browser/test_accessibility.py)
# The two legs run side by side, one per core (TEST_PARALLEL=0: one after the other). Each has its
# own database; only the PostgreSQL leg uses Redis. The SQLite leg's output follows the other's.
TEST_PARALLEL ?= 1
SQLITE_LOG := test-artifacts/sqlite-leg.log

test: $(STAMP) messages chromium services lint
ifeq ($(TEST_PARALLEL),0)
	@echo "== PostgreSQL + Redis: the whole suite =="
	@$(PG_LEG)
	@echo "== SQLite (the embedded default): everything but the PostgreSQL-only tests =="
	@$(SQLITE_LEG)
else
	@mkdir -p $(dir $(SQLITE_LOG)); start=$$SECONDS; \
	$(SQLITE_LEG) >$(SQLITE_LOG) 2>&1 & sqlite=$$!; \
	trap 'pkill -TERM -P $$sqlite 2>/dev/null; kill $$sqlite 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	echo "== PostgreSQL + Redis: the whole suite (the SQLite leg runs alongside) =="; \
	pg=0; $(PG_LEG) || pg=$$?; \
	sq=0; wait $$sqlite || sq=$$?; trap - EXIT INT TERM; \
	echo "== SQLite (the embedded default): everything but the PostgreSQL-only tests =="; \
	cat $(SQLITE_LOG); \
	verdict() { [ "$$1" = 0 ] && echo passed || echo "FAILED (exit $$1)"; }; \
	echo "== PostgreSQL + Redis: $$(verdict $$pg); SQLite: $$(verdict $$sq); both in $$((SECONDS - start)) s"; \
	[ $$pg = 0 ] && [ $$sq = 0 ]
endif

# The production shape on the loopback: nginx, two gunicorn, two workers, PostgreSQL, Redis
# (scripts/prod-local says what each variable does). Ctrl-C stops everything it started.
prod-local: $(STAMP) messages
	@scripts/prod-local

# The restore check (docs/operations.md, "Backups and restore"): tests/faults/test_backup.py dumps
# the production shape's database, restores it into a fresh one and signs in to a restored account
# whose 住民票コード still decrypts. `make test` runs it too.
restore-check: $(STAMP) messages services
	@scripts/ensure-packages nginx redis
	@$(TEST_ENV) DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(PYTEST) --create-db \
	  tests/faults/test_backup.py

bench: $(STAMP)
	$(PY) bench/childcare_rush.py
	$(PY) bench/events_rush.py
	$(PY) bench/consultations_queue.py

.PHONY: help install messages run chromium services lint test bench prod-local restore-check
