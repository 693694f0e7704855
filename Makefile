# The README's commands. `make demo` runs the app on its embedded default; `make test` runs every test.
SHELL := /bin/bash
# Django 6 needs Python 3.12+; take the first one found on PATH or under pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SANDBOX_PORT ?= 8888
CHROMIUM := /usr/bin/chromium
# axe-core for the accessibility browser tests, from the npm registry at the version package-lock.json pins.
AXE := node_modules/axe-core/axe.min.js

.PHONY: install demo test test-fast lint format bench

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is needed (python3.12 / python3.13)."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# Playwright drives Debian's Chromium; it cannot download its own browser here.
$(CHROMIUM):
	apt-get update && apt-get install -y chromium

# Without SPOTIFY_CLIENT_ID the app talks to the Spotify sandbox, started here beside it.
demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	@echo
	@echo "  Session Mix is running at http://127.0.0.1:$(PORT)/  (use 127.0.0.1, not localhost: Spotify's rule)"
	@echo "  Sign in as  demo  with password  sessionmix-demo,  or Continue with Spotify (the sandbox)"
	@echo
	@if [ -z "$$SPOTIFY_CLIENT_ID" ]; then \
		$(BIN)/python manage.py spotify_sandbox --port $(SANDBOX_PORT) & sandbox=$$!; \
		trap "kill $$sandbox 2>/dev/null" EXIT INT TERM; \
		SPOTIFY_SANDBOX_URL=http://127.0.0.1:$(SANDBOX_PORT) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	else \
		$(BIN)/python manage.py runserver 127.0.0.1:$(PORT); \
	fi

$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: install $(CHROMIUM) $(AXE)
	$(BIN)/pytest

# Everything but the browser tests.
test-fast: install
	$(BIN)/pytest -m "not browser"

# ruff; the layers (import-linter's contracts in pyproject.toml); types of the plain-Python modules.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python manage.py bench_generator

# Production: behind a TLS proxy that sets X-Forwarded-Proto. Needs DEBUG=false, SECRET_KEY, ALLOWED_HOSTS,
# DATABASE_URL, REDIS_URL, EMAIL_URL, DEFAULT_FROM_EMAIL (the README lists them); WEB_CONCURRENCY workers.
BIND ?= 127.0.0.1:$(PORT)
.PHONY: serve
serve: install
	$(BIN)/python manage.py collectstatic --noinput
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/gunicorn -c config/gunicorn.conf.py config.wsgi --workers $${WEB_CONCURRENCY:-3} --bind $(BIND) \
		--timeout 30 --graceful-timeout 30 --keep-alive 5 --max-requests 1000 --max-requests-jitter 100 \
		--forwarded-allow-ips "$${FORWARDED_ALLOW_IPS:-127.0.0.1}" --no-control-socket
