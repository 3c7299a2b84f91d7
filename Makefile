# Two commands for a newcomer: `make run` (the app) and `make test` (the whole suite).
SHELL := /bin/bash
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_YES := 1
export PIPENV_NOSPIN := 1
PY := .venv/bin/python

.PHONY: run test services stop install browser check-deploy bench clean

run: install .env
	@devservices/run.sh

test: install browser .env
	@devservices/test.sh

services: install
	@devservices/services.sh start

stop:
	@devservices/services.sh stop

install: .venv/.installed var/bin/ferretdb-dev

.venv/.installed: Pipfile Pipfile.lock
	@command -v pipenv >/dev/null || python3 -m pip install --quiet pipenv
	pipenv install --dev --deploy
	@touch $@

# The FerretDB launcher is rebuilt only when its sources change.
var/bin/ferretdb-dev: $(wildcard devservices/ferretdb/*.go) devservices/ferretdb/go.mod devservices/ferretdb/go.sum
	cd devservices/ferretdb && go build -o ../../var/bin/ferretdb-dev .

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core; }

.env:
	@sed "s|^SECRET_KEY=.*|SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')|" .env.example > .env
	@echo "Created .env from .env.example"

check-deploy: install
	DEBUG=0 SECRET_KEY=$$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))') ALLOWED_HOSTS=datasets.example.com \
	  $(PY) manage.py check --deploy --fail-level WARNING

bench: install
	@devservices/bench.sh

clean: stop
	rm -rf var/test var/log
