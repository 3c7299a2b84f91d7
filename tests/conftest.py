"""Fixtures shared by the suite: real FerretDB, Redis, a Celery worker process and moto's S3 server.

`make test` starts FerretDB and Redis on test ports and exports their URLs; the worker and the
S3 server are started here, as separate processes, by the tests that need them.

Two tiers: `make test-fast` deselects the `e2e` and `browser` tests (`-m "not e2e and not browser"`),
`make test` runs everything. The markers are given here, by folder and by fixture, so a new test
file lands in the right tier without a `pytestmark` of its own.

The cluster shape (`TEST_SHAPE=cluster devservices/test.sh tests/e2e`, docs/production.md) runs
the same tests on ElasticMQ (SQS), s3proxy and PostgreSQL instead: devservices/test.sh starts them
and exports CELERY_BROKER_URL=sqs://..., TEST_DATABASE_URL and TEST_S3_SERVER_URL.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.db import transaction

from catalog.mongo import version_documents_drop
from tests.factories import UserFactory, processed_dataset
from uploads.models import Dataset

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "tests" / "data" / "sample"
OUTPUT_DIR = ROOT / os.environ.get("TEST_OUTPUT_DIR", "var/test/output")
# moto accepts any keys; a real server (TEST_S3_SERVER_URL) is given its keys by devservices/test.sh.
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": os.environ.get("TEST_S3_ACCESS_KEY_ID", "testing"),
    "AWS_SECRET_ACCESS_KEY": os.environ.get("TEST_S3_SECRET_ACCESS_KEY", "testing"),
    "AWS_DEFAULT_REGION": "us-east-1",
}
TESTS = ROOT / "tests"


# A test under one of these folders gets its marker.
FOLDER_MARKERS = {"e2e": "e2e", "browser": "browser"}
# A test that uses one of these fixtures starts a real Celery worker process (and may kill it): e2e.
WORKER_FIXTURES = {"start_worker", "worker", "celery_processes"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0] if item.path.is_relative_to(TESTS) else ""
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])
        if WORKER_FIXTURES.intersection(item.fixturenames):
            item.add_marker("e2e")


@pytest.fixture(scope="session")
def mongo():
    """Refuses to run against a non-test database; `make test` starts it empty."""
    assert settings.MONGODB_NAME.endswith("_test"), "tests must run with MONGODB_NAME=..._test (use `make test`)"
    from catalog.mongo import mongo_connect

    mongo_connect()


def sample_read() -> dict[str, bytes]:
    """The spec's sample (tests/data/sample), file by file."""
    return {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints", "columns")}


@pytest.fixture
def sample_files() -> dict[str, bytes]:
    return sample_read()


@pytest.fixture
def steward(db):
    """A user without staff rights, named "steward", not logged in (its password: `factories.PASSWORD`)."""
    return UserFactory(username="steward")


@pytest.fixture
def steward_client(client, steward):
    """Django's test client, logged in as `steward`."""
    client.force_login(steward)
    return client


@pytest.fixture(scope="module")
def module_rows(django_db_setup, django_db_blocker):
    """A transaction around a whole module, for rows its module-scoped fixtures write once and its
    tests only read: each test runs in a savepoint inside it, and it is rolled back after the last.

    Only for modules without `transaction=True` tests (those flush the tables)."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic._from_testcase = True  # as Django's TestCase does, so `atomic(durable=True)` still works inside
        with atomic:
            yield
            transaction.set_rollback(True)


@pytest.fixture(scope="module")
def processed_sample(module_rows, mongo) -> Dataset:
    """The spec's sample, uploaded and processed once for the module (its version 1), for tests that
    only read it; a test that changes it processes its own. Its collections are dropped afterwards."""
    dataset = processed_dataset(sample_read())
    yield dataset
    version_documents_drop(version=dataset.current_version.records_key)


@pytest.fixture
def output_dir() -> Path:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    return OUTPUT_DIR


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on {port} within {timeout}s")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def worker_queues() -> str:
    """The queues a test's worker takes jobs from: both of this test run's (`-Q`)."""
    return f"{settings.JOB_QUEUE_HEAVY},{settings.JOB_QUEUE_LIGHT}"


def worker_database_url() -> str:
    """The database of this test run (pytest-django's test database), for a worker process."""
    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}/{database['NAME']}"


@pytest.fixture(scope="session", autouse=True)
def sqs_queues():
    """On SQS (the cluster shape), this test run's two queues, created in ElasticMQ for the run with
    the production visibility timeout, and deleted after it."""
    if settings.BROKER_TRANSPORT != "sqs":
        yield None
        return
    from zemoga_datasets.broker import sqs_client, sqs_queue_urls

    client = sqs_client(timeout_seconds=10)
    attributes = {"VisibilityTimeout": str(settings.BROKER_VISIBILITY_TIMEOUT_SECONDS)}
    urls = {name: client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"] for name in sqs_queue_urls()}
    assert urls == sqs_queue_urls(), "the settings' queue URLs must be those ElasticMQ gives"
    yield urls
    for url in urls.values():
        client.delete_queue(QueueUrl=url)


def _s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="session")
def s3_server():
    """An S3 server with one bucket of this test run: the real one named by TEST_S3_SERVER_URL
    (s3proxy in the cluster shape), else moto's standalone server over HTTP, in its own process."""
    real = os.environ.get("TEST_S3_SERVER_URL")
    if real:
        bucket = f"zemoga-test-{uuid.uuid4().hex[:8]}"
        client = _s3_client(real)
        client.create_bucket(Bucket=bucket)
        yield {"endpoint": real, "bucket": bucket}
        keys = [{"Key": item["Key"]} for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        for start in range(0, len(keys), 1000):
            client.delete_objects(Bucket=bucket, Delete={"Objects": keys[start : start + 1000]})
        client.delete_bucket(Bucket=bucket)
        return
    port = _free_port()
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    log = (OUTPUT_DIR / "moto.log").open("ab")
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for_port(port, process, "moto_server")
        endpoint = f"http://127.0.0.1:{port}"
        bucket = f"zemoga-test-{uuid.uuid4().hex[:8]}"
        _s3_client(endpoint).create_bucket(Bucket=bucket)
        yield {"endpoint": endpoint, "bucket": bucket}
    finally:
        _stop(process)
        log.close()


def storage_environment(storage: str, s3: dict | None) -> dict[str, str]:
    if storage == "s3":
        return {"TEST_S3_BUCKET": s3["bucket"], "TEST_S3_ENDPOINT_URL": s3["endpoint"], **S3_CREDENTIALS}
    return {"TEST_S3_BUCKET": "", "TEST_S3_ENDPOINT_URL": ""}


@pytest.fixture
def use_storage(settings):
    """Points this process's default storage at local disk or at moto's S3 server."""

    def configure(storage: str, s3: dict | None = None) -> None:
        if storage == "s3":
            os.environ.update(S3_CREDENTIALS)
            settings.AWS_STORAGE_BUCKET_NAME = s3["bucket"]
            settings.AWS_S3_ENDPOINT_URL = s3["endpoint"]
            settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage"}}
        else:
            settings.STORAGES = {**settings.STORAGES, "default": settings.LOCAL_STORAGE}

    return configure


class WorkerProcess:
    """A real `celery worker` process, sharing the test database file, FerretDB and Redis."""

    def __init__(self, extra_env: dict[str, str]):
        env = {**os.environ, **extra_env, "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.test"}
        env["TEST_DATABASE_URL"] = worker_database_url()
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = OUTPUT_DIR / f"worker-{uuid.uuid4().hex[:6]}.log"
        self.log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "zemoga_datasets",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "-Q",
                worker_queues(),
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited:\n{self.log_path.read_text()[-3000:]}")
            if b" ready." in self.log_path.read_bytes():
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


@pytest.fixture
def start_worker():
    """Starts a worker, or TEST_WORKERS of them on the same queues (the cluster shape: 2); returns the first."""
    workers: list[WorkerProcess] = []

    def start(extra_env: dict[str, str]) -> WorkerProcess:
        started = [WorkerProcess(extra_env) for _ in range(int(os.environ.get("TEST_WORKERS", "1")))]
        workers.extend(started)
        return started[0]

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is required for the browser tests (`make test` installs it)"
    return path


class Broker:
    """Stands in for the Celery app's `send_task` (the jobs app's outbox sends through it):
    records the calls, and refuses them all while `down`."""

    def __init__(self):
        self.sent: list[tuple[str, list]] = []
        self.down = False

    def send_task(self, name, args, **options):
        if self.down:
            raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.sent.append((name, args))

    def connection_for_write(self):
        raise ConnectionRefusedError("no broker queue to look at in these tests")


@pytest.fixture
def broker(monkeypatch) -> Broker:
    recorder = Broker()
    monkeypatch.setattr("jobs.outbox.current_app", recorder)
    monkeypatch.setattr("jobs.sweep.current_app", recorder)
    return recorder
