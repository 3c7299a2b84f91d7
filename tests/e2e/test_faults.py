"""Faults on real processes: a killed worker at each stage, a stopped Redis, a stopped MongoDB.

Each test asserts that the job reaches its final state on its own once a worker is available
again, that the documents in MongoDB match the summary, and that no two runs of the job overlapped
(the jobs app's run log) and exactly one completed. Nothing is timed: the tests poll for states,
with a deadline generous enough that it only fails on "never happened" on a busy machine. A
worker is paused at a named step by the test settings' hook (`tests/e2e/fault_hooks.py`), then
killed there.
"""

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from pymongo import MongoClient

from catalog.mongo import VERSION_COLLECTIONS, version_collection_name
from groundtruth import sample_generate
from jobs.models import JobLease, JobRun, OutboxMessage, RunOutcome
from tests.conftest import (
    OUTPUT_DIR,
    ROOT,
    _free_port,
    _stop,
    _wait_for_port,
    storage_environment,
    worker_database_url,
    worker_queues,
)
from tests.factories import upload_files
from uploads.models import Dataset, DatasetVersion, VersionStatus
from uploads.services import DELETE_JOB, VERSION_JOB, dataset_create, dataset_delete_request

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

RECOVERY_LIMIT = 300  # seconds to wait for a state before calling it "never": a deadline, not a speed bound
RECORDS = ("namespaces", "datapoints", "columns")
CELERY = str(Path(sys.executable).parent / "celery")


@pytest.fixture(scope="module")
def larger_sample() -> dict[str, bytes]:
    """20 namespaces, 500 data points and the first 2,000 of the generator's 10,000 columns: each
    file is persisted in its own batch, so a pause at `persisting:0.05` has written two of three."""
    files = sample_generate(scale=1).files
    rows = list(csv.reader(io.StringIO(files["columns"].decode("utf-8"), newline="")))
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\n").writerows(rows[:2001])
    return {**files, "columns": text.getvalue().encode("utf-8")}


class Celery:
    """A real `celery worker` or `celery beat` process on the test database, FerretDB and Redis."""

    def __init__(self, command: str, extra_env: dict[str, str], pool: str = "solo"):
        env = {**os.environ, **storage_environment("local", None), **extra_env}
        env["DJANGO_SETTINGS_MODULE"] = "zemoga_datasets.settings.test"
        env["TEST_DATABASE_URL"] = worker_database_url()
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = OUTPUT_DIR / f"faults-{command}-{uuid.uuid4().hex[:6]}.log"
        self.log = self.log_path.open("wb")
        arguments = [CELERY, "-A", "zemoga_datasets", command, "--loglevel=INFO"]
        if command == "worker":
            queues = worker_queues()
            arguments += [f"--pool={pool}", "--concurrency=1", "-Q", queues, "--without-gossip", "--without-mingle"]
            ready = b" ready."
        else:
            arguments += ["--schedule", str(OUTPUT_DIR / f"beat-{uuid.uuid4().hex[:6]}")]
            ready = b"beat: Starting"
        self.process = subprocess.Popen(arguments, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 90
        while ready not in self.log_path.read_bytes():
            assert self.process.poll() is None, f"celery {command} exited:\n{self.log_path.read_text()[-3000:]}"
            assert time.monotonic() < deadline, f"celery {command} not ready:\n{self.log_path.read_text()[-3000:]}"
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL, as an OOM kill or a lost machine would; reaped, so its pid is gone."""
        self.process.kill()
        self.process.wait()

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


@pytest.fixture
def celery_processes():
    started: list[Celery] = []

    def start(command: str, extra_env: dict[str, str] | None = None, pool: str = "solo") -> Celery:
        process = Celery(command, extra_env or {}, pool)
        started.append(process)
        return process

    yield start
    for process in reversed(started):
        process.stop()


def _create(files: dict[str, bytes], name: str = "Faults") -> DatasetVersion:
    """A dataset and its version 1, queued (its message leaves when this returns)."""
    return dataset_create(name=name, owner=None, files=upload_files(files))


def _wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def _paused_pid(pause_dir: Path, object_id: str, stage: str) -> int:
    marker = pause_dir / f"{object_id}-{stage.partition(':')[0]}.paused"
    _wait_for(lambda: marker.exists() and marker.read_text(), RECOVERY_LIMIT, f"a worker paused at {stage}")
    return int(marker.read_text())


def _final(version_id: str) -> DatasetVersion | None:
    version = DatasetVersion.objects.filter(pk=version_id).first()
    return version if version and version.is_finished else None


def _assert_ran_once(kind: str, object_id: str) -> list[JobRun]:
    """Exactly one run completed, none is left running, and no two runs overlapped in time."""
    runs = JobRun.objects.filter(lease__kind=kind, lease__object_id=object_id).order_by("started_at")
    # the final state is written just before the run is released
    _wait_for(lambda: not runs.filter(outcome=RunOutcome.RUNNING).exists(), RECOVERY_LIMIT, "the last run released")
    runs = list(runs)
    assert [run.outcome for run in runs].count(RunOutcome.COMPLETED) == 1, runs
    assert all(run.ended_at for run in runs), runs
    for earlier, later in zip(runs, runs[1:]):
        assert earlier.ended_at <= later.started_at, f"{earlier} and {later} ran at the same time"
    assert [run.attempt for run in runs] == list(range(1, len(runs) + 1))
    return runs


def _count(database, version: DatasetVersion, kind: str) -> int:
    return database[version_collection_name(version=version.records_key, kind=kind)].count_documents({})


def _assert_documents_match_summary(version: DatasetVersion, database) -> None:
    with version.summary_json.open("rb") as handle:
        summary = json.loads(handle.read())
    assert summary["status"] == "done", summary
    counts = {kind: _count(database, version, kind) for kind in RECORDS}
    assert counts == {kind: summary["files"][kind]["rows_persisted"] for kind in RECORDS}
    assert _count(database, version, "anomalies") == summary["anomalies_total"]


@pytest.fixture
def test_database():
    client = MongoClient(settings.MONGODB_URI, serverSelectionTimeoutMS=10_000)
    yield client[settings.MONGODB_NAME]
    client.close()


# --- A worker killed at each stage ------------------------------------------------------------


@pytest.fixture
def sample(sample_files, larger_sample, request) -> dict[str, bytes]:
    """The spec's small sample, or the larger one for a test that needs several write batches."""
    return larger_sample if getattr(request, "param", "small") == "larger" else sample_files


KILLS = [
    pytest.param("reading", "solo", "main", "small", id="reading-main"),
    pytest.param("checking", "solo", "main", "small", id="checking-main"),
    pytest.param("persisting:0.05", "solo", "main", "larger", id="persisting-main"),
    pytest.param("reporting", "solo", "main", "small", id="reporting-main"),
    pytest.param("persisting:0.05", "prefork", "child", "larger", id="persisting-prefork-child"),
    pytest.param("checking", "prefork", "main+child", "small", id="checking-prefork-main-and-child"),
]


@pytest.mark.parametrize(("stage", "pool", "killed", "sample"), KILLS, indirect=["sample"])
def test_a_worker_killed_while_processing_restarts_the_job_once(
    stage, pool, killed, sample, celery_processes, tmp_path, test_database
):
    # given a worker that will pause at the stage, and beat
    pause = {"FAULT_PAUSE_AT": stage, "FAULT_PAUSE_DIR": str(tmp_path)}
    worker = celery_processes("worker", pause, pool)
    celery_processes("beat")
    version = _create(sample)
    runner = _paused_pid(tmp_path, str(version.pk), stage)
    assert DatasetVersion.objects.get(pk=version.pk).status == VersionStatus.PROCESSING

    # when the process running the job is SIGKILLed there (and the worker restarted if it died)
    if killed == "child":
        assert runner != worker.process.pid
        os.kill(runner, signal.SIGKILL)
    else:
        worker.kill()
        with contextlib.suppress(ProcessLookupError):
            os.kill(runner, signal.SIGKILL)  # the pool child, with a prefork pool
        celery_processes("worker", pause, pool)

    # then the job ends on its own, once, with every document the summary counts
    final = _wait_for(lambda: _final(str(version.pk)), RECOVERY_LIMIT, "the version's final state")
    assert final.status == VersionStatus.DONE, final.error
    runs = _assert_ran_once(VERSION_JOB, str(version.pk))
    assert [run.outcome for run in runs] == [RunOutcome.LOST, RunOutcome.COMPLETED]
    _assert_documents_match_summary(final, test_database)
    assert Dataset.objects.get(pk=version.dataset_id).current_version_id == version.pk
    lease = JobLease.objects.get(kind=VERSION_JOB, object_id=str(version.pk))
    assert lease.note == "The worker stopped during processing; processing restarted automatically (attempt 2 of 4)."


def test_a_worker_killed_while_deleting_finishes_the_deletion(sample, celery_processes, tmp_path, test_database):
    pause = {"FAULT_PAUSE_AT": "deleting:0.5", "FAULT_PAUSE_DIR": str(tmp_path)}
    worker = celery_processes("worker", pause)
    celery_processes("beat")
    version = _create(sample)
    version = _wait_for(lambda: _final(str(version.pk)), RECOVERY_LIMIT, "the version processed")
    names = [version.columns.name, version.anomalies_csv.name, version.summary_json.name]
    dataset = version.dataset

    # when the worker is killed after the collections are dropped but before the files are deleted
    dataset_delete_request(dataset=dataset)
    _paused_pid(tmp_path, str(dataset.pk), "deleting")
    assert _count(test_database, version, "columns") == 0
    assert default_storage.exists(names[0])
    worker.kill()
    celery_processes("worker", pause)

    # then the deletion ends on its own
    _wait_for(lambda: not Dataset.objects.filter(pk=dataset.pk).exists(), RECOVERY_LIMIT, "the deletion")
    runs = _assert_ran_once(DELETE_JOB, str(dataset.pk))
    assert [run.outcome for run in runs] == [RunOutcome.LOST, RunOutcome.COMPLETED]
    assert not any(default_storage.exists(name) for name in names)
    assert all(_count(test_database, version, kind) == 0 for kind in VERSION_COLLECTIONS)


# --- Redis stopped ----------------------------------------------------------------------------


class RedisServer:
    """A redis-server of this test alone, without persistence (as `make services` runs it)."""

    def __init__(self, port: int, directory: Path):
        self.port, self.directory = port, directory
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        arguments = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--dir", str(self.directory)]
        self.process = subprocess.Popen([*arguments, "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        _wait_for_port(self.port, self.process, "redis-server")

    def stop(self) -> None:
        _stop(self.process)


@contextlib.contextmanager
def _broker_of_this_process(url: str):
    """Points this process's Celery app (the web side of the test) at another broker."""

    def use(broker_url: str | None) -> None:
        # Celery reads CELERY_BROKER_URL from the environment before its settings.
        if broker_url is None:
            os.environ.pop("CELERY_BROKER_URL", None)
        else:
            os.environ["CELERY_BROKER_URL"] = broker_url
        # kombu keeps a connection pool per URL: dropping the app's references is enough.
        current_app._pool = None
        current_app.amqp._producer_pool = None

    previous = os.environ.get("CELERY_BROKER_URL")
    use(url)
    try:
        assert current_app.connection_for_write().port == int(url.rsplit(":", 1)[1].split("/", maxsplit=1)[0])
        yield
    finally:
        use(previous)


def _login(client) -> None:
    get_user_model().objects.create_user(username="steward", password="correct-horse-battery-staple")
    assert client.post("/accounts/login/", {"username": "steward", "password": "correct-horse-battery-staple"})


def _failed_version(files: dict[str, bytes], owner) -> DatasetVersion:
    version = dataset_create(name="Failed before", owner=owner, files=upload_files(files), enqueue=False)
    DatasetVersion.objects.filter(pk=version.pk).update(status=VersionStatus.FAILED, error="an earlier failure")
    return version


def test_nothing_queued_while_redis_is_down_is_lost(client, sample, celery_processes, tmp_path, test_database):
    redis = RedisServer(_free_port(), tmp_path)
    broker = {"CELERY_BROKER_URL": redis.url, "CELERY_RESULT_BACKEND": redis.url}
    try:
        with _broker_of_this_process(redis.url):
            _login(client)
            owner = get_user_model().objects.get()
            # given a job queued in Redis with no worker yet, and two failed datasets
            in_redis = _create(sample, name="In Redis")
            to_retry, to_delete = _failed_version(sample, owner), _failed_version(sample, owner)

            # when Redis stops (and its queue is lost), while a user uploads, retries and deletes
            redis.stop()
            files = {f"{f}_file": SimpleUploadedFile(f"{f}.csv", c, "text/csv") for f, c in sample.items()}
            upload = client.post("/", {"name": "While Redis is down", **files}, follow=True)
            retry = client.post(f"/datasets/{to_retry.dataset_id}/versions/1/retry/", follow=True)
            delete = client.post(f"/datasets/{to_delete.dataset_id}/delete/", follow=True)

            # then each answers at once (it tried the broker once, and gave up), says so, and keeps the job
            for response in (upload, retry, delete):
                assert response.status_code == 200
                assert "cannot be reached right now" in response.content.decode()
            uploaded = DatasetVersion.objects.get(dataset__name="While Redis is down")
            assert list(OutboxMessage.objects.values_list("send_attempts", flat=True)) == [1, 1, 1]
            status = client.get(f"/datasets/{uploaded.dataset_id}/status.json").json()
            assert status["status"] == "queued"
            assert status["waiting_for_broker"] is True

            # and once Redis is back and a worker runs, every job ends on its own, once
            redis.start()
            celery_processes("worker", broker)
            celery_processes("beat", broker)
            for version in (in_redis, uploaded, to_retry):
                final = _wait_for(lambda v=version: _final(str(v.pk)), RECOVERY_LIMIT, f"{version} processed")
                assert final.status == VersionStatus.DONE, final.error
                _assert_ran_once(VERSION_JOB, str(version.pk))
                _assert_documents_match_summary(final, test_database)
            deleted = to_delete.dataset_id
            _wait_for(lambda: not Dataset.objects.filter(pk=deleted).exists(), RECOVERY_LIMIT, "the deletion")
            _assert_ran_once(DELETE_JOB, str(deleted))
            assert not OutboxMessage.objects.exists()
    finally:
        redis.stop()


# --- MongoDB stopped while persisting -----------------------------------------------------------


class FerretDB:
    """A FerretDB of this test alone (`var/bin/ferretdb-dev`), stopped and started on the same data."""

    def __init__(self, port: int, directory: Path):
        self.port, self.directory = port, directory
        self.log = (OUTPUT_DIR / f"faults-ferretdb-{port}.log").open("ab")
        self.start()

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"

    def start(self) -> None:
        arguments = [str(ROOT / "var" / "bin" / "ferretdb-dev"), "-listen", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen([*arguments, "-data", str(self.directory)], stdout=self.log, stderr=self.log)
        _wait_for_port(self.port, self.process, "FerretDB")

    def stop(self) -> None:
        _stop(self.process)


@pytest.mark.parametrize("sample", ["larger"], indirect=True)
def test_mongodb_stopped_while_persisting_is_retried_automatically(sample, celery_processes, tmp_path):
    ferretdb = FerretDB(_free_port(), tmp_path / "ferretdb")
    client = MongoClient(ferretdb.uri, serverSelectionTimeoutMS=10_000)
    try:
        # given a worker on its own FerretDB, paused after the first records are written
        pause = {"FAULT_PAUSE_AT": "persisting:0.05", "FAULT_PAUSE_DIR": str(tmp_path), "MONGODB_URI": ferretdb.uri}
        celery_processes("worker", pause)
        celery_processes("beat", {"MONGODB_URI": ferretdb.uri})
        version = _create(sample)
        _paused_pid(tmp_path, str(version.pk), "persisting")

        # when FerretDB stops there and the worker goes on
        ferretdb.stop()
        (tmp_path / f"{version.pk}-persisting.resume").touch()
        lease = JobLease.objects.filter(kind=VERSION_JOB, object_id=str(version.pk))
        _wait_for(lambda: "MongoDB could not be reached" in lease.get().note, RECOVERY_LIMIT, "the transient failure")
        waiting = DatasetVersion.objects.get(pk=version.pk)
        assert waiting.status == VersionStatus.QUEUED
        assert not waiting.error

        # then, FerretDB back, the retry finishes the dataset with exactly its documents
        ferretdb.start()
        final = _wait_for(lambda: _final(str(version.pk)), RECOVERY_LIMIT, "the version's final state")
        assert final.status == VersionStatus.DONE, final.error
        runs = _assert_ran_once(VERSION_JOB, str(version.pk))
        assert runs[0].outcome == RunOutcome.RETRYING
        assert runs[-1].outcome == RunOutcome.COMPLETED
        _assert_documents_match_summary(final, client[settings.MONGODB_NAME])
    finally:
        client.close()
        ferretdb.stop()
