#!/usr/bin/env bash
# `make test`: starts FerretDB (and its PostgreSQL) and Redis on test ports, runs pytest (arguments passed on), stops them.
# Test settings (zemoga_datasets/settings/test.py) pick their own database, media folder and queue;
# the end-to-end tests start their own Celery worker and moto S3 server (tests/conftest.py).
# TEST_SHAPE=cluster runs them on the production shape's stand-ins instead of Redis, moto and SQLite:
# ElasticMQ (SQS), s3proxy (S3) and PostgreSQL for Django's tables (docs/production.md).
set -euo pipefail
cd "$(dirname "$0")/.."

export SERVICES_PROFILE=test
case "${TEST_SHAPE:=single}" in
  single) export SERVICES_SHAPE=single ;;
  cluster) export SERVICES_SHAPE=cluster ;;
  *) echo "TEST_SHAPE must be single or cluster, not '$TEST_SHAPE'." >&2; exit 2 ;;
esac
# Services already running (another test run) are reused and left running.
if ! devservices/services.sh status; then
  devservices/services.sh stop  # leftovers of an interrupted run (e.g. its PostgreSQL)
  rm -rf "var/test/services-${TEST_FERRETDB_PORT:-27018}" var/test/media
  trap 'devservices/services.sh stop' EXIT
fi
# An assignment, not a pipe, so that a failed start stops this script (set -e).
service_env=$(devservices/services.sh start)
if [ "$TEST_SHAPE" = cluster ]; then
  # The tests choose their storage and name their database themselves: renamed for them.
  service_env=$(sed -e 's/^DATABASE_URL=/TEST_DATABASE_URL=/' -e 's/^AWS_S3_ENDPOINT_URL=/TEST_S3_SERVER_URL=/' \
    -e 's/^AWS_ACCESS_KEY_ID=/TEST_S3_ACCESS_KEY_ID=/' -e 's/^AWS_SECRET_ACCESS_KEY=/TEST_S3_SECRET_ACCESS_KEY=/' \
    -e '/^AWS_STORAGE_BUCKET_NAME=/d' <<<"$service_env")
  # Two workers on the same queues wherever a test starts one (tests/conftest.py).
  export TEST_WORKERS=${TEST_WORKERS:-2}
fi
eval "$(sed 's/^/export /' <<<"$service_env")"

export TEST_OUTPUT_DIR=${TEST_OUTPUT_DIR:-var/test/output}
mkdir -p "$TEST_OUTPUT_DIR" var/test

.venv/bin/python -m pytest "$@"
