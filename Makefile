# Q-Info — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
# Debian packages: WeasyPrint (pango, harfbuzz subsetting), PDF checks (poppler), browser tests (chromium).
DEB_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 poppler-utils chromium
DEB_PACKAGES_RUN := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

.PHONY: run test bench lint format system-deps system-deps-run services venv db demo clean-db

run: system-deps-run services venv db
	@$(PY) manage.py collectstatic --noinput -v0
	@$(PY) manage.py seed_demo --if-empty --quiet-logins
	@bin/run-dev

# The suite runs in TEST_WORKERS processes (pytest-xdist), each with its own test database and
# its own keys in Redis (qinfo/settings/test.py); `make test TEST_WORKERS=0` runs it in one.
TEST_WORKERS ?= 2

test: system-deps services venv
	@$(PY) manage.py collectstatic --noinput -v0
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: services venv
	@DJANGO_SETTINGS_MODULE=qinfo.settings.bench $(PY) -m bench $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PIP) install --quiet --upgrade pip
	@$(PIP) install --quiet -r requirements-dev.txt
	@touch $(STAMP)

# Install missing Debian packages when root; otherwise name them and stop.
define ensure_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing Debian packages:$$missing"; echo "Install them with: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
endef

system-deps:
	$(call ensure_debs,$(DEB_PACKAGES))

system-deps-run:
	$(call ensure_debs,$(DEB_PACKAGES_RUN))

# PostgreSQL and Redis must answer; when root, start them if they are down. Redis keeps an
# append-only file in var/redis/ (as in docker-compose), so a restart keeps the queue and locks.
services:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  if [ "$$(id -u)" = "0" ] && [ -d /etc/postgresql ]; then pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start; \
	  else echo "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; fi; fi
	@if ! (redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1); then \
	  if [ "$$(id -u)" = "0" ] && command -v redis-server >/dev/null; then mkdir -p var/redis; redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly yes --appendfsync everysec --dir "$(CURDIR)/var/redis"; sleep 1; \
	  else echo "Redis is not answering on 127.0.0.1:6379"; exit 1; fi; fi

db: venv
	@$(PY) manage.py ensure_db
	@$(PY) manage.py migrate --noinput -v0

demo: db
	$(PY) manage.py seed_demo --if-empty

clean-db: venv
	@echo "Dropping and recreating the development database"
	@$(PY) -c "import psycopg; c=psycopg.connect('postgresql://postgres@127.0.0.1/postgres', autocommit=True); c.execute('DROP DATABASE IF EXISTS qinfo WITH (FORCE)')"
	@$(MAKE) db
