#!/usr/bin/env bash
# `make run`: services, migrations, a first admin account, one Celery worker, Celery beat (the
# jobs' sweep) and the web server.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=zemoga_datasets.settings.development
# The environment wins over .env, as in the settings.
web_port=${WEB_PORT:-$(sed -n "s/^WEB_PORT=//p" .env 2>/dev/null | tail -n 1)}
web_port=${web_port:-8000}

# An assignment, not a pipe, so that a failed start stops this script (set -e).
service_env=$(devservices/services.sh start)
eval "$(sed 's/^/export /' <<<"$service_env")"
$PY manage.py migrate --noinput >/dev/null
$PY manage.py create_local_admin --credentials-file var/admin-credentials.txt

worker_pid=""
beat_pid=""
cleanup() {
  # Ignore further Ctrl-C (make passes one on) until everything is stopped.
  trap '' INT TERM
  trap - EXIT
  echo; echo "Stopping…"
  [ -n "$worker_pid" ] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null || true
  [ -n "$beat_pid" ] && kill "$beat_pid" 2>/dev/null && wait "$beat_pid" 2>/dev/null || true
  devservices/services.sh stop
}
trap cleanup INT TERM EXIT

mkdir -p var/log
.venv/bin/celery -A zemoga_datasets worker --loglevel=INFO --concurrency=1 >>var/log/worker.log 2>&1 &
worker_pid=$!
.venv/bin/celery -A zemoga_datasets beat --loglevel=INFO >>var/log/beat.log 2>&1 &
beat_pid=$!
echo "Celery worker and beat started (logs: var/log/worker.log, var/log/beat.log)."
echo "Open http://127.0.0.1:$web_port/ — Ctrl-C stops everything."
$PY manage.py runserver "127.0.0.1:$web_port" --noreload
