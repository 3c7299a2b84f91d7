"""The test suite (`make test`): its own MongoDB database, SQLite file, media folder and Celery queue,
so that a test run never touches the data of `make run`, nor another test run's."""

import os

# One id per test run, inherited by the worker processes the tests start.
TEST_RUN_ID = os.environ.setdefault("TEST_RUN_ID", str(os.getpid()))
# The queues of this test run only (read by base.py, which routes the tasks to them; inherited by
# the workers). On SQS the suite creates them (tests/conftest.py).
os.environ["JOB_QUEUE_HEAVY"] = f"test-{TEST_RUN_ID}-heavy"
os.environ["JOB_QUEUE_LIGHT"] = f"test-{TEST_RUN_ID}-light"
# SQS: short long polls, so that a worker stops within seconds when a test ends.
os.environ.setdefault("SQS_WAIT_TIME_SECONDS", "2")

from .base import *  # noqa: E402, F403
from .base import BASE_DIR, env  # noqa: E402

SECRET_KEY = "test-secret-key-not-for-production"

MONGODB_NAME = env.str("TEST_MONGODB_NAME", default="zemoga_datasets_test")
DATABASES = {"default": env.db("TEST_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'test' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not memory, so that a Celery worker process sees the rows the tests write.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}  # as in base.py
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / "test" / f"test_db_{TEST_RUN_ID}.sqlite3")}

MEDIA_ROOT = BASE_DIR / "var" / "test" / "media"
# Local disk, or moto's S3 server for the tests (and their workers) that ask for it.
AWS_STORAGE_BUCKET_NAME = env.str("TEST_S3_BUCKET", default="")
AWS_S3_ENDPOINT_URL = env.str("TEST_S3_ENDPOINT_URL", default=None)
_storage = {"BACKEND": "storages.backends.s3.S3Storage"} if AWS_STORAGE_BUCKET_NAME else LOCAL_STORAGE  # noqa: F405
STORAGES = {**STORAGES, "default": _storage}  # noqa: F405
WHITENOISE_USE_FINDERS = True

# The shared cache (Redis's database 1, or the test database in the cluster shape): this run's keys
# apart from another run's on the same Redis (both count for their token 1).
CACHES = {"default": {**CACHES["default"], "KEY_PREFIX": f"test-{TEST_RUN_ID}"}}  # noqa: F405

# Jobs: short leases and sweeps, so the fault-injection tests see a recovery within seconds.
JOB_LEASE_SECONDS = env.int("TEST_JOB_LEASE_SECONDS", default=10)
JOB_SWEEP_SECONDS = 2
JOB_RETRY_BACKOFF_SECONDS = 2
JOB_MAX_ATTEMPTS = 4
CELERY_BEAT_SCHEDULE = {
    "jobs-sweep": {"task": "jobs.sweep", "schedule": float(JOB_SWEEP_SECONDS), "options": {"expires": 2.0}}
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "test" / f"celerybeat-{TEST_RUN_ID}")
# Pauses a worker at a named step when FAULT_PAUSE_AT is set (tests/e2e/test_faults.py).
JOB_STAGE_HOOK = "tests.e2e.fault_hooks.stage_pause"
# The webhook tests receive on a local HTTP server (tests/api/test_webhooks.py turns this off to test the refusal).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
