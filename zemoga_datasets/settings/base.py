"""Settings shared by every environment; each value comes from the environment (or `.env`).

`development`, `production` and `test` beside this file add what differs. Every variable is listed,
with a one-line comment, in `.env.example`.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import botocore.config
import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


class Env(environ.Env):
    """django-environ, except that an empty variable means "use the default", as `.env.example`
    leaves most of them empty."""

    def get_value(self, var, cast=None, default=environ.Env.NOTSET, parse_default=False):
        if default is not self.NOTSET and not str(self.ENVIRON.get(var, "")).strip():
            return default
        return super().get_value(var, cast=cast, default=default, parse_default=parse_default)


env = Env()
# An existing environment wins over `.env`, so CI and production can override anything.
Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "storages",
    "axes",
    "catalog",
    "reports",
    "jobs",
    "uploads",
    "ninja",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A page past RESPONSE_MAX_BYTES is refused (a 500 and one log line), not sent.
    "zemoga_datasets.middleware.ResponseSizeGuardMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Under /api/: the Bearer token, throttles and body limits, answered in JSON before the guard below.
    "api.middleware.ApiRequestMiddleware",
    # Before CSRF (whose process_view reads request.POST, spooling uploads to temporary files):
    # refuses anonymous and oversized bodies from the headers alone. It needs request.user, hence
    # AuthenticationMiddleware above it (which reads only the session).
    "zemoga_datasets.middleware.RequestBodyGuardMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Outages (MongoDB, Redis, storage, the database) answer a short 503 page, not a 500.
    "zemoga_datasets.middleware.ServiceUnavailableMiddleware",
    # Last, as django-axes asks: it answers the lockout page for a throttled login.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username+address is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "zemoga_datasets.urls"
WSGI_APPLICATION = "zemoga_datasets.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = 60
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web process and the worker write the same file: wait for a lock rather than fail.
    # IMMEDIATE: a transaction takes the write lock when it begins, so two that read then write
    # (two uploads at once) wait their turn instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
MEDIA_ROOT = BASE_DIR / env.str("MEDIA_DIR", default="var/media")

# --- MongoDB (FerretDB locally) ---------------------------------------------------------
# Empty: the local FerretDB that `make services` starts on FERRETDB_PORT.
MONGODB_URI = env.str("MONGODB_URI", default=f"mongodb://127.0.0.1:{env.int('FERRETDB_PORT', default=27017)}/")
MONGODB_NAME = env.str("MONGODB_NAME", default="zemoga_datasets")
# How long the web process and the worker wait to find or connect to MongoDB before giving up.
MONGODB_SERVER_SELECTION_TIMEOUT_MS = env.int("MONGODB_SERVER_SELECTION_TIMEOUT_MS", default=2_000)
MONGODB_CONNECT_TIMEOUT_MS = env.int("MONGODB_CONNECT_TIMEOUT_MS", default=2_000)
# Each MongoDB operation of the web process (not the worker's): past it the page answers 503, so a
# hung server costs a page this long (its reads are not retried). Pages read in well under 1 s.
MONGODB_SOCKET_TIMEOUT_MS = env.int("MONGODB_SOCKET_TIMEOUT_MS", default=3_000)

# --- Celery ---------------------------------------------------------------------------
# Redis (the default: the local Redis that `make services` starts on REDIS_PORT) or Amazon SQS:
# `sqs://` on AWS (credentials from the task's role), `sqs://KEY:SECRET@HOST:PORT` for ElasticMQ
# (`make cluster`). The transport is the URL's scheme: "redis" or "sqs" (/readyz names it).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=f"redis://127.0.0.1:{env.int('REDIS_PORT', default=6379)}/0")
BROKER_TRANSPORT = CELERY_BROKER_URL.split("://", 1)[0]
# No result backend on SQS (it cannot hold results); nothing reads them anyway (see below).
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL if BROKER_TRANSPORT == "redis" else None
)
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Nothing reads task results (the jobs' state lives in the database); storing none also spares each
# queueing a subscription to the result backend, which retries 20 s before failing with Redis down.
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis down: queueing from a page gives up within a few seconds (the page answers 503).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT_SECONDS", default=2.0)
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
# A message is acknowledged when its task ends, and given back if the worker process dies; the
# job's lease (the `jobs` app) makes sure a message delivered twice never runs the job twice.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One job at a time per worker process, none reserved behind it.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Every task: the soft limit raises in the task (the job fails with a readable reason), the hard
# limit kills its process.
JOB_SOFT_TIME_LIMIT_SECONDS = env.int("JOB_SOFT_TIME_LIMIT_SECONDS", default=2 * 3600)
CELERY_TASK_SOFT_TIME_LIMIT = JOB_SOFT_TIME_LIMIT_SECONDS
CELERY_TASK_TIME_LIMIT = JOB_SOFT_TIME_LIMIT_SECONDS + 300
# The broker gives an unacknowledged message to another worker after this long: longer than the
# longest job can run, so a healthy job is never delivered twice. (A job of a worker that died is
# taken back sooner, by the sweep, through its lease.) On SQS it is the queues' own attribute,
# set where they are created: deploy/sqs-queues.json, devservices/elasticmq.conf.
BROKER_VISIBILITY_TIMEOUT_SECONDS = CELERY_TASK_TIME_LIMIT + 600

# --- The two queues: the one place that says which task goes where --------------------------
# Processing (minutes) goes to the heavy queue; everything short (deleting a dataset, the sweep,
# the outbox's messages other than processing) to the light one. Workers of the light queue never
# take a processing job, so a delete never waits behind one (docs/production.md).
# The defaults that deploy/ and docker-compose.yml write out literally (queue names, long polling);
# tests/deploy checks those files against this one table.
DEPLOY_DEFAULTS = {
    "JOB_QUEUE_HEAVY": "datasets-heavy",
    "JOB_QUEUE_LIGHT": "datasets-light",
    "SQS_WAIT_TIME_SECONDS": 20,
    # The shared cache with SQS (no Redis): a table in Django's database (see "The shared cache").
    "CACHE_URL": "db",
}
JOB_QUEUE_HEAVY = env.str("JOB_QUEUE_HEAVY", default=DEPLOY_DEFAULTS["JOB_QUEUE_HEAVY"])
JOB_QUEUE_LIGHT = env.str("JOB_QUEUE_LIGHT", default=DEPLOY_DEFAULTS["JOB_QUEUE_LIGHT"])
JOB_HEAVY_TASKS = ("uploads.tasks.version_process_task",)
CELERY_TASK_DEFAULT_QUEUE = JOB_QUEUE_LIGHT
CELERY_TASK_ROUTES = {task: {"queue": JOB_QUEUE_HEAVY} for task in JOB_HEAVY_TASKS}
# Both queues: a worker started without -Q (`make run`, the Procfile) takes from both.
CELERY_TASK_QUEUES = [Queue(JOB_QUEUE_HEAVY), Queue(JOB_QUEUE_LIGHT)]

SQS_REGION = env.str("SQS_REGION", default="us-east-1")
# Long polling: a receive waits up to this long on the server for a message (20 at most).
SQS_WAIT_TIME_SECONDS = env.int("SQS_WAIT_TIME_SECONDS", default=DEPLOY_DEFAULTS["SQS_WAIT_TIME_SECONDS"])
# The queues' URLs are this prefix and their names; empty: ElasticMQ's form on the broker URL's host.
SQS_QUEUE_URL_PREFIX = env.str("SQS_QUEUE_URL_PREFIX", default="")


def sqs_transport_options(*, broker_url: str, queue_url_prefix: str, queues: tuple[str, ...]) -> dict:
    """kombu's SQS transport on `queues` only, which exist already (no CreateQueue, no ListQueues:
    the task role needs neither)."""
    if not queue_url_prefix:
        host = broker_url.split("://", 1)[1].rsplit("@", 1)[-1].strip("/")
        if not host:
            raise ImproperlyConfigured("Set SQS_QUEUE_URL_PREFIX (https://sqs.REGION.amazonaws.com/ACCOUNT/).")
        queue_url_prefix = f"http://{host}/000000000000/"
    return {
        "region": SQS_REGION,
        "is_secure": not queue_url_prefix.startswith("http://"),
        "predefined_queues": {queue: {"url": f"{queue_url_prefix.rstrip('/')}/{queue}"} for queue in queues},
        "wait_time_seconds": SQS_WAIT_TIME_SECONDS,
        "polling_interval": 0,
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT_SECONDS,
        # A page queueing a job gives up promptly when SQS cannot be reached (the outbox keeps it).
        "client-config": {"connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT, "retries": {"max_attempts": 2}},
    }


if BROKER_TRANSPORT == "sqs":
    CELERY_BROKER_TRANSPORT_OPTIONS = sqs_transport_options(
        broker_url=CELERY_BROKER_URL, queue_url_prefix=SQS_QUEUE_URL_PREFIX, queues=(JOB_QUEUE_HEAVY, JOB_QUEUE_LIGHT)
    )
    # SQS has no broadcast: no remote control, no events (the jobs' run log says what ran where).
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
    CELERY_WORKER_SEND_TASK_EVENTS = False
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": BROKER_VISIBILITY_TIMEOUT_SECONDS,
        "socket_connect_timeout": 5,
    }

# --- The shared cache: the API's throttles (api/tokens.py) -----------------------------------
# One cache for every web process, so that a limit holds across gunicorn's workers and the web
# tasks, not once per process (docs/production.md, "Limits across web processes").
# The table of the database cache: made by `migrate` (api's migration 0002) whatever CACHE_URL says.
CACHE_TABLE = "django_cache"
# Counters of a minute live two minutes; more live rows than this and Django's database cache
# deletes a third of them (counts lost), so it stays well above the tokens and addresses seen at once.
CACHE_DATABASE_MAX_ENTRIES = 10_000
CACHE_SCHEMES = "redis://HOST:PORT/DB (rediss:// with TLS), db (Django's database) or locmem (one process only)"


def cache_settings(url: str, *, connect_timeout: float) -> tuple[str, dict]:
    """What CACHE_URL names ("redis", "database" or "locmem", which /readyz reports) and Django's
    CACHES entry for it."""
    scheme, separator, rest = url.strip().partition("://")
    scheme = scheme.lower()
    if scheme in ("redis", "rediss") and rest:
        # Short timeouts: an unreachable Redis costs an API request seconds, not minutes (503).
        options = {"socket_connect_timeout": connect_timeout, "socket_timeout": connect_timeout}
        return "redis", {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url, "OPTIONS": options}
    if scheme in ("db", "database") and not separator:
        # Django's DatabaseCache with an atomic incr (zemoga_datasets/cache.py).
        backend = "zemoga_datasets.cache.AtomicDatabaseCache"
        options = {"MAX_ENTRIES": CACHE_DATABASE_MAX_ENTRIES}
        return "database", {"BACKEND": backend, "LOCATION": CACHE_TABLE, "OPTIONS": options}
    if scheme == "locmem" and not separator:
        return "locmem", {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    # Only the leading letters: whatever follows may hold a password (`rediss:/:secret@host`).
    letters = re.match(r"[a-z][a-z0-9+.-]*", scheme)
    shown = f"{letters.group(0) if letters else ''}{separator}…"
    raise ImproperlyConfigured(f"CACHE_URL must be {CACHE_SCHEMES}, not {shown!r}.")


# CACHE_URL: see CACHE_SCHEMES. Empty: with a Redis broker (`make run`), that Redis's database 1
# (the broker's is 0); with SQS (the cluster shape, AWS: no Redis), Django's database.
_cache_default = (
    urlsplit(CELERY_BROKER_URL)._replace(path="/1").geturl()
    if BROKER_TRANSPORT in ("redis", "rediss")
    else DEPLOY_DEFAULTS["CACHE_URL"]
)
CACHE_URL = env.str("CACHE_URL", default=_cache_default)
CACHE_KIND, _cache = cache_settings(CACHE_URL, connect_timeout=CELERY_BROKER_CONNECTION_TIMEOUT)
CACHES = {"default": _cache}

# --- Jobs that cannot be lost (the `jobs` app) ---------------------------------------------
# A running job renews its lease every quarter of this; a job whose lease expired is re-queued.
JOB_LEASE_SECONDS = env.int("JOB_LEASE_SECONDS", default=40)
# How often Celery beat runs the sweep (re-queues stopped jobs, sends the outbox).
JOB_SWEEP_SECONDS = env.int("JOB_SWEEP_SECONDS", default=10)
# Runs of one job before it is given up (restarts after a stopped worker and transient retries).
JOB_MAX_ATTEMPTS = env.int("JOB_MAX_ATTEMPTS", default=4)
# Wait before the first retry after a transient error (MongoDB or storage unreachable); doubles.
JOB_RETRY_BACKOFF_SECONDS = env.int("JOB_RETRY_BACKOFF_SECONDS", default=30)
# Days a finished job's lease and run log are kept once its object (version, dataset) is gone.
JOB_HISTORY_DAYS = env.int("JOB_HISTORY_DAYS", default=7)
# How often the orphan sweep (collections and files with no dataset or version) runs, in seconds.
ORPHANS_SWEEP_SECONDS = env.int("ORPHANS_SWEEP_SECONDS", default=6 * 3600)
# A stored file with no version is removed only once this old (an upload is stored before its row).
ORPHANS_MIN_AGE_SECONDS = env.int("ORPHANS_MIN_AGE_SECONDS", default=3600)
# A callable (dotted path) told of each step of a running job; the test settings set one.
JOB_STAGE_HOOK: str | None = None
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep": {
        "task": "jobs.sweep",
        "schedule": float(JOB_SWEEP_SECONDS),
        # A sweep that waited longer than its interval behind a long job is dropped: the next one comes.
        "options": {"expires": float(JOB_SWEEP_SECONDS)},
    },
    "orphans-sweep": {"task": "uploads.orphans_sweep_request", "schedule": float(ORPHANS_SWEEP_SECONDS)},
    # An acceptance's `until` day is a day: looking every hour is enough.
    "triage-lapses": {"task": "uploads.triage_lapses_follow", "schedule": 3600.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")

# --- File storage: local disk by default, S3 when a bucket is named ------------------------
AWS_STORAGE_BUCKET_NAME = env.str("AWS_STORAGE_BUCKET_NAME", default="")
AWS_S3_ENDPOINT_URL = env.str("AWS_S3_ENDPOINT_URL", default=None)
AWS_S3_REGION_NAME = env.str("AWS_S3_REGION_NAME", default="us-east-1")
AWS_DEFAULT_ACL = None
# Every key is built from ids (`uploads.models.VERSION_FILES`): writing a file again replaces it,
# on S3 (`AWS_S3_FILE_OVERWRITE`, True by default) as on disk (`allow_overwrite`).
LOCAL_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"allow_overwrite": True}}
if AWS_STORAGE_BUCKET_NAME:
    _default_storage = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    _default_storage = LOCAL_STORAGE
# Short connects and few retries, so a page over an unreachable bucket answers 503 promptly.
AWS_S3_CLIENT_CONFIG = botocore.config.Config(
    connect_timeout=env.float("AWS_S3_CONNECT_TIMEOUT_SECONDS", default=2.0),
    read_timeout=env.float("AWS_S3_READ_TIMEOUT_SECONDS", default=30.0),
    retries={"total_max_attempts": 2, "mode": "standard"},
)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Uploads ----------------------------------------------------------------------------
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
# The largest request body accepted from a logged-in user: three files and the form around them.
# A reverse proxy in front should refuse larger bodies too (nginx: client_max_body_size).
UPLOAD_REQUEST_MAX_BYTES = 3 * UPLOAD_MAX_BYTES + 1024 * 1024
# The largest body accepted from an anonymous visitor (only the login forms accept one).
ANONYMOUS_REQUEST_MAX_BYTES = 64 * 1024
# The largest page (not download) sent: every page is bounded by its view, so a larger one is a bug.
RESPONSE_MAX_BYTES = env.int("RESPONSE_MAX_BYTES", default=8 * 1024 * 1024)
# Files above this go to a temporary file instead of memory while the request is read.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Versions ---------------------------------------------------------------------------
# How many of a dataset's newest versions keep their records in MongoDB (the current one always
# does); older versions keep their reports and their diff.
VERSIONS_KEEP_RECORDS = env.int("VERSIONS_KEEP_RECORDS", default=3)

# --- Vocabularies of the spec (overridable here, as the spec allows) ----------------------
DATASET_VOCABULARIES: dict = {}

# --- Bounds on the work one uploaded file may cost (docs/pipeline.md, "Limits") -----------
# Empty: the engine's defaults, which live in engine/limits.py.
DATASET_LIMITS: dict = {
    "header_columns": env.int("DATASET_MAX_HEADER_COLUMNS", default=None),
    "line_cells": env.int("DATASET_MAX_LINE_CELLS", default=None),
    "field_chars": env.int("DATASET_MAX_FIELD_CHARS", default=None),
    "anomalies_per_code": env.int("DATASET_MAX_ANOMALIES_PER_CODE", default=None),
    "workbook_bytes": env.int("DATASET_MAX_WORKBOOK_BYTES", default=None),
    "sheet_cells": env.int("DATASET_MAX_SHEET_CELLS", default=None),
}

# --- Security (production.py adds HTTPS) ------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts, styles and images from this site only: no inline script, no inline style, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Login throttling (django-axes) -------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one user name from one address, that pair is
# locked out for AXES_COOLOFF_MINUTES (a correct password is refused meanwhile).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("AXES_COOLOFF_MINUTES", default=15.0))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Behind a reverse proxy, how many proxies append to X-Forwarded-For; 0 trusts only the socket's
# address (a client could otherwise pick its own address and dodge the lockout).
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
# --- API, tokens and webhooks (the `api` app, docs/api.md) ---------------------------------
# Days a new API token lasts unless its creator says otherwise (0: no expiry).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=90)
# Requests per minute one token may make, and invalid tokens per minute one address may send.
API_REQUESTS_PER_MINUTE = env.int("API_REQUESTS_PER_MINUTE", default=600)
API_FAILED_TOKENS_PER_MINUTE = env.int("API_FAILED_TOKENS_PER_MINUTE", default=20)
# How long one webhook delivery waits for the receiving endpoint before it counts as failed.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Off: webhooks go to public addresses only (never loopback, private or link-local: no calls into
# the server's own network). On for tests and for a receiver on the same private network.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# This site's address as its users reach it, for the links in webhook bodies.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every successful login at INFO; its warnings (failures, lockouts) stay.
    "loggers": {"axes": {"level": "WARNING"}},
}
