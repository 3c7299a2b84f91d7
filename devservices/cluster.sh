#!/usr/bin/env bash
# `make cluster` (WORKERS=N, default 2): the production shape on one machine (docs/production.md).
#   PostgreSQL (Django's tables), FerretDB (MongoDB), ElasticMQ (SQS), s3proxy (S3);
#   gunicorn for the web; N Celery workers on the heavy queue (processing) and one on the light
#   queue (deletes, the sweep), each in its own empty folder under var/cluster/ with its own node
#   name and no access to the web's files (every file is in the S3 server); exactly one beat.
# Ctrl-C (or SIGTERM) stops everything this script started. Process ids: var/cluster/run/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=$ROOT/.venv/bin/python
CELERY=$ROOT/.venv/bin/celery
workers=${WORKERS:-2}
[[ "$workers" =~ ^[1-9][0-9]*$ ]] || { echo "WORKERS must be a positive number, not '$workers'." >&2; exit 2; }
# Settings of this script may be in .env as well as in the environment (which wins).
from_env_file() { [ -f .env ] || return 0; sed -n "s/^$1=//p" .env | tail -n 1; }
web_port=${CLUSTER_WEB_PORT:-$(from_env_file CLUSTER_WEB_PORT)}
web_port=${web_port:-8001}
mongodb_name=${CLUSTER_MONGODB_NAME:-$(from_env_file CLUSTER_MONGODB_NAME)}

export SERVICES_SHAPE=cluster
# Like production: DEBUG off; plain HTTP on this machine (production.py's HTTPS needs a proxy).
export DJANGO_SETTINGS_MODULE=zemoga_datasets.settings.development DEBUG=0
# The cluster's records apart from `make run`'s (same FerretDB, another database).
export MONGODB_NAME=${mongodb_name:-zemoga_datasets_cluster}
export PYTHONPATH=$ROOT
# CLUSTER_DIR: another folder for the processes' folders and logs (tests/e2e/test_cluster.py).
cluster=${CLUSTER_DIR:-$ROOT/var/cluster}
run_dir="$cluster/run"; log_dir="$cluster/log"
rm -rf "$run_dir" "$cluster/web" "$cluster"/worker-* "$cluster/light" "$cluster/beat"
mkdir -p "$run_dir" "$log_dir"

pids=()
cleanup() {
  # Ignore further Ctrl-C (make passes one on) until everything is stopped.
  trap '' INT TERM
  trap - EXIT
  echo; echo "Stopping…"
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  devservices/services.sh stop
}
trap cleanup INT TERM EXIT

# An assignment, not a pipe, so that a failed start stops this script (set -e).
service_env=$(devservices/services.sh start)
eval "$(sed 's/^/export /' <<<"$service_env")"
$PY manage.py migrate --noinput >/dev/null
# Its own file: the cluster's accounts are in PostgreSQL, not in `make run`'s SQLite file.
credentials=var/cluster-admin-credentials.txt
[ -z "${CLUSTER_DIR:-}" ] || credentials="$cluster/admin-credentials.txt"
$PY manage.py create_local_admin --credentials-file "$credentials"

# Each process in its own process group (setsid), so that stopping one stops its pool children.
# $1: name (folder, pid file, log); the rest: the command, run from the empty folder.
start() {
  local name=$1; shift
  mkdir -p "$cluster/$name"
  (cd "$cluster/$name" && exec setsid "$@" >>"$log_dir/$name.log" 2>&1 </dev/null) &
  pids+=($!)
  echo $! >"$run_dir/$name.pid"
}

# The web: its own folder for local files, which must stay empty (every file goes to the S3 server).
MEDIA_DIR="$cluster/web/media" start web "$ROOT/.venv/bin/gunicorn" zemoga_datasets.wsgi \
  --bind "127.0.0.1:$web_port" --workers 2 --timeout 120 --access-logfile -
# Workers and beat: each a folder of its own, empty, and a media folder that is not the web's.
worker_options=(--loglevel=INFO --without-gossip --without-mingle --without-heartbeat)
for n in $(seq 1 "$workers"); do
  MEDIA_DIR="$cluster/worker-$n/media" start "worker-$n" "$CELERY" -A zemoga_datasets worker \
    -n "heavy-$n@%h" -Q "${JOB_QUEUE_HEAVY:-datasets-heavy}" --concurrency=1 "${worker_options[@]}"
done
MEDIA_DIR="$cluster/light/media" start light "$CELERY" -A zemoga_datasets worker \
  -n "light@%h" -Q "${JOB_QUEUE_LIGHT:-datasets-light}" --concurrency=2 "${worker_options[@]}"
MEDIA_DIR="$cluster/beat/media" start beat "$CELERY" -A zemoga_datasets beat --loglevel=INFO \
  --schedule "$cluster/beat/celerybeat-schedule"

for _ in $(seq 1 300); do
  (exec 3<>"/dev/tcp/127.0.0.1/$web_port") 2>/dev/null && break
  kill -0 "$(cat "$run_dir/web.pid")" 2>/dev/null || { echo "gunicorn stopped; see $log_dir/web.log" >&2; exit 1; }
  sleep 0.2
done
echo "Cluster: gunicorn, $workers heavy worker(s), 1 light worker, beat (logs: var/cluster/log/)."
echo "/readyz: $(curl -s "http://127.0.0.1:$web_port/readyz" || true)"
echo "Open http://127.0.0.1:$web_port/ — Ctrl-C stops everything."
# Until Ctrl-C, or the web stops (a stopped worker is the sweep's business, as in production).
wait "$(cat "$run_dir/web.pid")" || true
echo "gunicorn stopped (see var/cluster/log/web.log)." >&2
