#!/usr/bin/env bash
# `make bench`: the pipeline without a database, then with FerretDB, then the pages' timings.
set -euo pipefail
cd "$(dirname "$0")/.."
export SERVICES_PROFILE=test TEST_FERRETDB_PORT=${BENCH_FERRETDB_PORT:-27019} TEST_REDIS_PORT=${BENCH_REDIS_PORT:-6381} \
  TEST_POSTGRES_PORT=${BENCH_POSTGRES_PORT:-5437}
devservices/services.sh status || { devservices/services.sh stop; rm -rf "var/test/services-$TEST_FERRETDB_PORT" var/bench var/bench.sqlite3; }
service_env=$(devservices/services.sh start)
eval "$(sed 's/^/export /' <<<"$service_env")"
trap 'devservices/services.sh stop' EXIT
export MONGODB_NAME=zemoga_datasets_bench DATABASE_URL="sqlite:///$(pwd)/var/bench.sqlite3" MEDIA_DIR=var/bench/media
.venv/bin/python manage.py migrate --noinput -v0
output=$(.venv/bin/python bench/pipeline.py --scale "${BENCH_SCALE:-100}" --keep | tee /dev/stderr)
dataset=$(sed -n 's/^dataset \([0-9a-f-]*\):.*/\1/p' <<<"$output")
.venv/bin/python bench/pages.py --dataset "$dataset"
.venv/bin/python bench/triage.py --dataset "$dataset"
.venv/bin/python bench/lines.py --scale "${BENCH_SCALE:-100}"
