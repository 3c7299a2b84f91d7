# Two commands for a newcomer: `make run` (the app) and `make test` (the whole suite).
SHELL := /bin/bash
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
PY := .venv/bin/python
# Extra arguments for pytest: `make test ARGS="tests/engine -k duplicate"`.
ARGS ?=

.PHONY: run test test-fast test-engine lint format services stop install browser check-deploy bench clean

run: install .env
	@devservices/run.sh

test: install browser node_modules/.installed .env
	@devservices/test.sh $(ARGS)

# Everything but the end-to-end tests (a real worker, killed) and the browser tests: a few minutes,
# on FerretDB and Redis still. The markers are given by folder in tests/conftest.py.
test-fast: install .env
	@devservices/test.sh -m "not e2e and not browser" $(ARGS)

# The engine, the source lines and the ground truth alone: no service, no Django database, a few seconds to a minute.
test-engine: install
	@$(PY) -m pytest tests/engine tests/sourcelines tests/groundtruth -q $(ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/lint-imports

format: install
	.venv/bin/ruff format .
	.venv/bin/ruff check --fix .

# `make services` is enough before `manage.py ingest`: it installs, starts the services and migrates.
services: install .env
	@devservices/services.sh start >/dev/null && $(PY) manage.py migrate --noinput -v0
	@echo "FerretDB and Redis are running (make stop stops them); the database is migrated."

stop:
	@devservices/services.sh stop

install: .venv/.installed var/bin/ferretdb-dev

.venv/.installed: Pipfile Pipfile.lock
	@command -v pipenv >/dev/null || { echo "Installing pipenv…"; python3 -m pip install --quiet pipenv; }
	@echo "Installing the Python packages of Pipfile.lock into .venv/ (a few minutes the first time)…"
	pipenv install --dev --deploy
	@touch $@

# The FerretDB launcher is rebuilt only when its sources change.
var/bin/ferretdb-dev: $(wildcard devservices/ferretdb/*.go) devservices/ferretdb/go.mod devservices/ferretdb/go.sum
	@echo "Building the FerretDB launcher (go build, a minute the first time)…"
	cd devservices/ferretdb && go build -o ../../var/bin/ferretdb-dev .

# axe-core, which the browser tests inject into every page (package-lock.json pins it); reinstalled
# only when the lock file changes.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || devservices/apt-install.sh npm
	npm ci --no-audit --no-fund
	@touch $@

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
browser:
	@command -v chromium >/dev/null || devservices/apt-install.sh chromium fonts-dejavu-core

.env:
	@sed "s|^SECRET_KEY=.*|SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')|" .env.example > .env
	@echo "Created .env from .env.example"

check-deploy: install
	DJANGO_SETTINGS_MODULE=zemoga_datasets.settings.production \
	  SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=datasets.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

bench: install
	@devservices/bench.sh

clean: stop
	rm -rf var/test var/log

# The production shape on this machine (docs/production.md): PostgreSQL, FerretDB, ElasticMQ (SQS),
# s3proxy (S3), gunicorn, WORKERS heavy workers and one light one, one beat. `make cluster WORKERS=4`.
WORKERS ?= 2
.PHONY: cluster
cluster: install .env
	@WORKERS=$(WORKERS) devservices/cluster.sh
