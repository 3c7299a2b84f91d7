#!/usr/bin/env bash
# `make test`: starts FerretDB (and its PostgreSQL) and Redis on test ports, runs pytest (arguments passed on), stops them.
# Test settings (zemoga_datasets/settings/test.py) pick their own database, media folder and queue;
# the end-to-end tests start their own Celery worker and moto S3 server (tests/conftest.py).
set -euo pipefail
cd "$(dirname "$0")/.."

export SERVICES_PROFILE=test
# Services already running (another test run) are reused and left running.
if ! devservices/services.sh status; then
  devservices/services.sh stop  # leftovers of an interrupted run (e.g. its PostgreSQL)
  rm -rf "var/test/services-${TEST_FERRETDB_PORT:-27018}" var/test/media
  trap 'devservices/services.sh stop' EXIT
fi
# An assignment, not a pipe, so that a failed start stops this script (set -e).
service_env=$(devservices/services.sh start)
eval "$(sed 's/^/export /' <<<"$service_env")"

export TEST_OUTPUT_DIR=${TEST_OUTPUT_DIR:-var/test/output}
mkdir -p "$TEST_OUTPUT_DIR" var/test

.venv/bin/python -m pytest "$@"
