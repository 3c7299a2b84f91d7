"""Fixtures shared by the suite: real FerretDB, Redis, a Celery worker process and moto's S3 server.

`make test` starts FerretDB and Redis on test ports and exports their URLs; the worker and the
S3 server are started here, as separate processes, by the tests that need them.
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

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "tests" / "data" / "sample"
OUTPUT_DIR = ROOT / os.environ.get("TEST_OUTPUT_DIR", "var/test/output")
S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture(scope="session")
def mongo():
    """Refuses to run against a non-test database; `make test` starts it empty."""
    assert settings.MONGODB_NAME.endswith("_test"), "tests must run with MONGODB_NAME=..._test (use `make test`)"
    from catalog.mongo import mongo_connect

    mongo_connect()
    yield


@pytest.fixture
def sample_files() -> dict[str, bytes]:
    return {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints", "columns")}


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


@pytest.fixture(scope="session")
def s3_server():
    """moto's standalone S3 server over HTTP, in its own process, with one bucket."""
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
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_bucket(Bucket=bucket)
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
        database = settings.DATABASES["default"]
        env = {**os.environ, **extra_env, "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.test"}
        if database["ENGINE"].endswith("sqlite3"):
            env["TEST_DATABASE_URL"] = f"sqlite:///{database['NAME']}"
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
                settings.CELERY_TASK_DEFAULT_QUEUE,
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
    workers: list[WorkerProcess] = []

    def start(extra_env: dict[str, str]) -> WorkerProcess:
        worker = WorkerProcess(extra_env)
        workers.append(worker)
        return worker

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
    monkeypatch.setattr("jobs.services.current_app", recorder)
    return recorder
