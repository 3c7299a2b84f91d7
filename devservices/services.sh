#!/usr/bin/env bash
# Starts or stops the local services: FerretDB (MongoDB wire protocol) and Redis, plus Debian's
# PostgreSQL when FerretDB stores its data there (FERRETDB_HANDLER=postgresql; sqlite: files).
#   devservices/services.sh start   # idempotent; prints MONGODB_URI=... and CELERY_BROKER_URL=...
#   devservices/services.sh stop
# SERVICES_PROFILE=test uses other ports and data folders, so tests never touch a running app.
# SERVICES_SHAPE=cluster (`make cluster`, the cluster pass of the tests) starts instead of Redis the
# production shape's stand-ins: ElasticMQ (SQS), s3proxy (S3, files under var/) and PostgreSQL for
# Django's tables, and prints DATABASE_URL, CELERY_BROKER_URL=sqs://..., AWS_S3_ENDPOINT_URL too.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# Ports may be set in .env as well as in the environment (which wins, as in the settings).
from_env_file() { [ -f .env ] || return 0; sed -n "s/^$1=//p" .env | tail -n 1; }
FERRETDB_PORT=${FERRETDB_PORT:-$(from_env_file FERRETDB_PORT)}
REDIS_PORT=${REDIS_PORT:-$(from_env_file REDIS_PORT)}
POSTGRES_PORT=${POSTGRES_PORT:-$(from_env_file POSTGRES_PORT)}
handler=${FERRETDB_HANDLER:-$(from_env_file FERRETDB_HANDLER)}
handler=${handler:-sqlite}
case "$handler" in
  sqlite | postgresql) ;;
  *) echo "FERRETDB_HANDLER must be sqlite or postgresql, not '$handler'." >&2; exit 2 ;;
esac

ELASTICMQ_PORT=${ELASTICMQ_PORT:-$(from_env_file ELASTICMQ_PORT)}
S3_PORT=${S3_PORT:-$(from_env_file S3_PORT)}
shape=${SERVICES_SHAPE:-single}
case "$shape" in
  single | cluster) ;;
  *) echo "SERVICES_SHAPE must be single or cluster, not '$shape'." >&2; exit 2 ;;
esac

profile=${SERVICES_PROFILE:-dev}
if [ "$profile" = test ]; then
  ferret_port=${TEST_FERRETDB_PORT:-27018}; redis_port=${TEST_REDIS_PORT:-6380}; var="$ROOT/var/test/services-$ferret_port"
  postgres_port=${TEST_POSTGRES_PORT:-5435}
  elasticmq_port=${TEST_ELASTICMQ_PORT:-9325}; s3_port=${TEST_S3_PORT:-8083}; django_database=zemoga_datasets_test
else
  ferret_port=${FERRETDB_PORT:-27017}; redis_port=${REDIS_PORT:-6379}; var="$ROOT/var"
  postgres_port=${POSTGRES_PORT:-5434}
  elasticmq_port=${ELASTICMQ_PORT:-9324}; s3_port=${S3_PORT:-8082}; django_database=zemoga_datasets
fi
# The local S3 server's bucket and keys (s3proxy checks AWS signatures like S3 does).
s3_bucket=zemoga-datasets; s3_key=local-key; s3_secret=local-secret
# ElasticMQ accepts any key; these only fill the URL.
sqs_key=local-key; sqs_secret=local-secret
run_dir="$var/run"; log_dir="$var/log"; pgdata="$var/postgresql"
mkdir -p "$run_dir" "$log_dir" "$var/ferretdb" "$var/redis"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
  local port=$1 name=$2 log=$3
  for _ in $(seq 1 100); do
    if port_open "$port"; then return 0; fi
    sleep 0.1
  done
  echo "$name did not start on port $port; its log says:" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

ensure_redis() {
  command -v redis-server >/dev/null 2>&1 || devservices/apt-install.sh redis-server
}

# Debian installs PostgreSQL's server programs under /usr/lib/postgresql/<version>/bin.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user that
# Debian's package creates (owner of the data folder); otherwise as the current user.
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# A cluster of its own under var/, reachable on 127.0.0.1 only, without password (like Redis).
start_postgres() {
  [ -n "$(pg_bin)" ] || devservices/apt-install.sh postgresql
  local bin; bin=$(pg_bin)
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata"
    [ "$(id -u)" = 0 ] && chown postgres: "$pgdata"
    as_postgres "$bin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C >>"$log_dir/postgresql-init.log" 2>&1 ||
      { echo "initdb failed; see $log_dir/postgresql-init.log" >&2; exit 1; }
  fi
  if as_postgres "$bin/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then :
  elif port_open "$postgres_port"; then
    echo "Port $postgres_port is taken by another program; set POSTGRES_PORT." >&2; exit 1
  else
    touch "$log_dir/postgresql.log"
    [ "$(id -u)" = 0 ] && chown postgres: "$log_dir/postgresql.log"
    # Custom plans: FerretDB's statements name the field as a parameter, and only a plan made for
    # the actual field name can use the GIN index on that field.
    as_postgres "$bin/pg_ctl" start -D "$pgdata" -l "$log_dir/postgresql.log" -w -t 60 \
      -o "-p $postgres_port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c plan_cache_mode=force_custom_plan" \
      >/dev/null || { echo "PostgreSQL did not start; its log says:" >&2; tail -n 20 "$log_dir/postgresql.log" >&2; exit 1; }
  fi
  local psql=("$bin/psql" -h 127.0.0.1 -p "$postgres_port" -U postgres -d postgres -qtA) database
  for database in ferretdb "$@"; do
    if [ -z "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$database'")" ]; then
      "${psql[@]}" -c "CREATE DATABASE $database" >/dev/null
    fi
  done
}

# ElasticMQ and s3proxy run on the JVM; Maven fetches their jars once into var/ (devservices/jvm/).
ensure_jars() {
  local name=$1
  command -v java >/dev/null 2>&1 || devservices/apt-install.sh openjdk-17-jre-headless
  [ -n "$(ls "$ROOT/var/$name/lib" 2>/dev/null)" ] && return 0
  command -v mvn >/dev/null 2>&1 || devservices/apt-install.sh maven
  echo "Fetching $name with Maven into var/$name/lib (once)…" >&2
  # Into a folder of its own first, so that an interrupted download is fetched again next time.
  rm -rf "$ROOT/var/$name/lib.partial"
  mvn -q -f "devservices/jvm/$name-pom.xml" dependency:copy-dependencies -DoutputDirectory="$ROOT/var/$name/lib.partial" >&2
  mv "$ROOT/var/$name/lib.partial" "$ROOT/var/$name/lib"
}

start_java() {
  local name=$1 port=$2; shift 2
  if running "$run_dir/$name.pid"; then return 0; fi
  if port_open "$port"; then echo "Port $port is taken by another program; set the port of $name." >&2; exit 1; fi
  nohup java -Xmx384m -XX:+UseSerialGC -cp "$ROOT/var/$name/lib/*" "$@" >>"$log_dir/$name.log" 2>&1 </dev/null &
  echo $! >"$run_dir/$name.pid"
  for _ in $(seq 1 300); do port_open "$port" && return 0; sleep 0.1; done
  echo "$name did not start on port $port; its log says:" >&2; tail -n 20 "$log_dir/$name.log" >&2; exit 1
}

# SQS: the queues and their visibility timeout are in devservices/elasticmq.conf.
start_elasticmq() {
  ensure_jars elasticmq
  ELASTICMQ_PORT=$elasticmq_port start_java elasticmq "$elasticmq_port" \
    -Dconfig.file="$ROOT/devservices/elasticmq.conf" org.elasticmq.server.Main
}

# S3: s3proxy's filesystem backend keeps each object as a file under var/.../s3 (a bucket is a folder).
start_s3proxy() {
  ensure_jars s3proxy
  mkdir -p "$var/s3/$s3_bucket"
  cat >"$run_dir/s3proxy.properties" <<PROPERTIES
s3proxy.endpoint=http://127.0.0.1:$s3_port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$s3_key
s3proxy.credential=$s3_secret
jclouds.provider=filesystem-nio2
jclouds.filesystem.basedir=$var/s3
PROPERTIES
  start_java s3proxy "$s3_port" -Dlogback.configurationFile="$ROOT/devservices/jvm/logback.xml" org.gaul.s3proxy.Main --properties "$run_dir/s3proxy.properties"
}

stop_postgres() {
  local bin; bin=$(pg_bin)
  if [ -n "$bin" ] && [ -s "$pgdata/PG_VERSION" ] && as_postgres "$bin/pg_ctl" status -D "$pgdata" >/dev/null 2>&1; then
    as_postgres "$bin/pg_ctl" stop -D "$pgdata" -m fast -w >/dev/null
  fi
}

start() {
  if [ ! -x var/bin/ferretdb-dev ]; then
    echo "var/bin/ferretdb-dev is missing: run 'make install' first." >&2; exit 1
  fi
  if ! running "$run_dir/ferretdb.pid" && port_open "$ferret_port"; then
    echo "Port $ferret_port is taken by another program; set FERRETDB_PORT." >&2; exit 1
  fi
  local storage=(-data "$var/ferretdb")
  if [ "$shape" = cluster ]; then
    start_postgres "$django_database"
  elif [ "$handler" = postgresql ]; then
    start_postgres
  fi
  if [ "$handler" = postgresql ]; then
    storage=(-postgresql-url "postgres://postgres@127.0.0.1:$postgres_port/ferretdb")
  fi
  if running "$run_dir/ferretdb.pid"; then :
  else
    nohup var/bin/ferretdb-dev -listen "127.0.0.1:$ferret_port" -handler "$handler" "${storage[@]}" \
      >>"$log_dir/ferretdb.log" 2>&1 </dev/null &
    echo $! >"$run_dir/ferretdb.pid"
    wait_port "$ferret_port" FerretDB "$log_dir/ferretdb.log"
  fi

  if [ "$shape" = cluster ]; then
    start_elasticmq
    start_s3proxy
    echo "MONGODB_URI=mongodb://127.0.0.1:$ferret_port/"
    echo "DATABASE_URL=postgres://postgres@127.0.0.1:$postgres_port/$django_database"
    echo "CELERY_BROKER_URL=sqs://$sqs_key:$sqs_secret@127.0.0.1:$elasticmq_port"
    echo "AWS_S3_ENDPOINT_URL=http://127.0.0.1:$s3_port"
    echo "AWS_STORAGE_BUCKET_NAME=$s3_bucket"
    echo "AWS_ACCESS_KEY_ID=$s3_key"
    echo "AWS_SECRET_ACCESS_KEY=$s3_secret"
    return 0
  fi

  ensure_redis
  if running "$run_dir/redis.pid"; then :
  elif port_open "$redis_port"; then
    echo "Port $redis_port is taken by another program; set REDIS_PORT." >&2; exit 1
  else
    redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$var/redis" --save "" --appendonly no \
      --daemonize yes --pidfile "$run_dir/redis.pid" --logfile "$log_dir/redis.log" >/dev/null
    wait_port "$redis_port" Redis "$log_dir/redis.log"
  fi
  echo "MONGODB_URI=mongodb://127.0.0.1:$ferret_port/"
  echo "CELERY_BROKER_URL=redis://127.0.0.1:$redis_port/0"
}

stop_one() {
  local pidfile=$1
  if running "$pidfile"; then
    local pid; pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  status)
    if [ "$shape" = cluster ]; then
      running "$run_dir/ferretdb.pid" && running "$run_dir/elasticmq.pid" && running "$run_dir/s3proxy.pid"
    else
      running "$run_dir/ferretdb.pid" && running "$run_dir/redis.pid"
    fi ;;
  # Everything is stopped whatever the shape and handler, in case the setting changed while it ran.
  stop)
    for name in ferretdb redis elasticmq s3proxy; do stop_one "$run_dir/$name.pid"; done
    stop_postgres ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
