"""The jobs' guarantees on SQS's semantics, against a real ElasticMQ (the SQS-compatible server).

SQS delivers at least once: a message may come twice, late (after its job ended), or again when
its visibility timeout expires while a worker still runs it; and it keeps a message a killed
worker held invisible for the whole visibility timeout (above the hard time limit). In each case
the job runs once: its lease refuses a second run, the sweep takes back the job of a dead worker
without waiting for the message, and the outbox keeps what SQS could not take.

This module starts its own ElasticMQ (so that it can stop it), in both shapes of the suite; the
web side (this process) and the workers it starts use it through the settings' SQS options.
"""

import os
import subprocess
import time

import boto3
import pytest
from celery import current_app
from django.conf import settings

from jobs.models import JobLease, JobRun, OutboxMessage, RunOutcome
from tests.conftest import OUTPUT_DIR, ROOT, _free_port, _stop, _wait_for_port
from tests.e2e.test_faults import Celery, _assert_ran_once, _create, _final, _paused_pid, _wait_for
from uploads.models import VersionStatus
from uploads.services import VERSION_JOB
from uploads.tasks import version_process_task
from zemoga_datasets.settings.base import sqs_transport_options

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

JARS = ROOT / "var" / "elasticmq" / "lib"
COUNTS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


class ElasticMQ:
    """A real ElasticMQ process (devservices/elasticmq.conf) on a port of its own; in memory, so a
    restart loses every queue and message, as a lost broker would."""

    def __init__(self):
        if not any(JARS.glob("*.jar")):  # as devservices/services.sh fetches them
            pom, partial = ROOT / "devservices" / "jvm" / "elasticmq-pom.xml", JARS.with_name("lib.partial")
            command = ["mvn", "-q", "-f", str(pom), "dependency:copy-dependencies", f"-DoutputDirectory={partial}"]
            subprocess.run(command, check=True, cwd=ROOT)
            partial.rename(JARS)
        self.port = _free_port()
        self.url = f"sqs://test-key:test-secret@127.0.0.1:{self.port}"
        self.process = None

    def start(self) -> None:
        OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
        with (OUTPUT_DIR / "elasticmq.log").open("ab") as log:
            self.process = subprocess.Popen(
                ["java", "-Xmx256m", "-XX:+UseSerialGC", f"-Dconfig.file={ROOT / 'devservices' / 'elasticmq.conf'}"]
                + ["-cp", f"{JARS}/*", "org.elasticmq.server.Main"],
                env={**os.environ, "ELASTICMQ_PORT": str(self.port)},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        _wait_for_port(self.port, self.process, "ElasticMQ", timeout=90)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)


@pytest.fixture(scope="module")
def elasticmq():
    server = ElasticMQ()
    server.start()
    yield server
    server.stop()


class Sqs:
    """This test run's two queues on the ElasticMQ, as the settings describe them."""

    def __init__(self, server: ElasticMQ):
        self.server = server
        queues = (settings.JOB_QUEUE_HEAVY, settings.JOB_QUEUE_LIGHT)
        self.options = sqs_transport_options(broker_url=server.url, queue_url_prefix="", queues=queues)
        self.urls = {name: queue["url"] for name, queue in self.options["predefined_queues"].items()}

    @property
    def client(self):
        # The settings' credentials are those of the broker of the suite: this one has its own.
        return boto3.client(
            "sqs",
            endpoint_url=f"http://127.0.0.1:{self.server.port}",
            region_name="us-east-1",
            aws_access_key_id="test-key",
            aws_secret_access_key="test-secret",
        )

    def create_queues(self, visibility_seconds: int = settings.BROKER_VISIBILITY_TIMEOUT_SECONDS) -> None:
        attributes = {"VisibilityTimeout": str(visibility_seconds)}
        for name, url in self.urls.items():
            assert self.client.create_queue(QueueName=name)["QueueUrl"] == url  # kept if it exists
            self.client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
            self.client.purge_queue(QueueUrl=url)

    def counts(self, queue: str) -> tuple[int, int]:
        """Messages waiting, and messages a worker holds (received, not yet deleted)."""
        attributes = self.client.get_queue_attributes(QueueUrl=self.urls[queue], AttributeNames=COUNTS)["Attributes"]
        return int(attributes[COUNTS[0]]), int(attributes[COUNTS[1]])

    @property
    def worker_env(self) -> dict[str, str]:
        return {"CELERY_BROKER_URL": self.server.url, "CELERY_RESULT_BACKEND": ""}


@pytest.fixture
def sqs(elasticmq, settings, monkeypatch):
    """Points this process's Celery app at the ElasticMQ (the workers get `sqs.worker_env`)."""
    queues = Sqs(elasticmq)
    queues.create_queues()
    previous = current_app.conf.broker_transport_options

    def use(options: dict) -> None:
        current_app.conf.broker_transport_options = options
        # kombu keeps a connection pool per URL: dropping the app's references is enough.
        current_app._pool = None
        current_app.amqp._producer_pool = None

    # Celery reads CELERY_BROKER_URL from the environment before its settings.
    monkeypatch.setenv("CELERY_BROKER_URL", elasticmq.url)
    settings.CELERY_BROKER_URL, settings.BROKER_TRANSPORT = elasticmq.url, "sqs"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = queues.options
    use(queues.options)
    try:
        connection = current_app.connection_for_write()
        assert (connection.transport.driver_type, connection.port) == ("sqs", elasticmq.port)
        yield queues
    finally:
        monkeypatch.undo()
        use(previous)


@pytest.fixture
def celery_processes():
    """Real `celery worker` and `celery beat` processes (tests/e2e/test_faults.py), stopped after the test."""
    started: list[Celery] = []

    def start(command: str, extra_env: dict[str, str]) -> Celery:
        started.append(Celery(command, extra_env))
        return started[-1]

    yield start
    for process in reversed(started):
        process.stop()


def _log_count(process, text: str) -> int:
    return process.log_path.read_text(errors="replace").count(text)


def _drained(sqs: Sqs) -> bool:
    return sqs.counts(settings.JOB_QUEUE_HEAVY) == (0, 0) and sqs.counts(settings.JOB_QUEUE_LIGHT) == (0, 0)


def test_duplicate_and_late_messages_run_the_job_once(sample_files, sqs, celery_processes):
    # given a job queued on SQS, and two more copies of its message (SQS delivers at least once)
    version = _create(sample_files)
    for _ in range(2):
        version_process_task.apply_async(args=[str(version.pk)])
    _wait_for(lambda: sqs.counts(settings.JOB_QUEUE_HEAVY)[0] == 3, 30, "three messages in the heavy queue")

    # when two workers take them
    first = celery_processes("worker", sqs.worker_env)
    second = celery_processes("worker", sqs.worker_env)
    final = _wait_for(lambda: _final(str(version.pk)), 90, "the version's final state")
    _wait_for(lambda: _drained(sqs), 30, "every message deleted")

    # then the job ran once, and the copies were recognised and deleted, none left in flight
    assert final.status == VersionStatus.DONE, final.error
    assert [run.outcome for run in _assert_ran_once(VERSION_JOB, str(version.pk))] == [RunOutcome.COMPLETED]
    assert _log_count(first, ": 'completed'") + _log_count(second, ": 'completed'") == 1
    assert _log_count(first, ": 'skipped'") + _log_count(second, ": 'skipped'") == 2

    # and a message arriving after the job ended (out of order) runs nothing either
    version_process_task.apply_async(args=[str(version.pk)])
    _wait_for(lambda: _log_count(first, ": 'skipped'") + _log_count(second, ": 'skipped'") == 3, 30, "the late one")
    _wait_for(lambda: _drained(sqs), 30, "the late message deleted")
    assert JobRun.objects.filter(lease__object_id=str(version.pk)).count() == 1


def test_a_message_reappearing_after_its_visibility_timeout_does_not_run_the_job_again(
    sample_files, sqs, celery_processes, tmp_path
):
    # given queues whose messages reappear 2 s after a worker received them (production: hours),
    # and a worker that holds its job at the reading step
    sqs.create_queues(visibility_seconds=2)
    pause = {"FAULT_PAUSE_AT": "reading", "FAULT_PAUSE_DIR": str(tmp_path)}
    holder = celery_processes("worker", {**sqs.worker_env, **pause})
    version = _create(sample_files)
    _paused_pid(tmp_path, str(version.pk), "reading")

    # when the message reappears while the job runs, and another worker receives it
    other = celery_processes("worker", sqs.worker_env)
    _wait_for(lambda: _log_count(other, ": 'skipped'") >= 1, 60, "the reappeared message received and skipped")

    # then that worker leaves the job to its lease's holder, which ends it, once
    assert JobLease.objects.get(kind=VERSION_JOB, object_id=str(version.pk)).owner.endswith(f":{holder.process.pid}")
    (tmp_path / f"{version.pk}-reading.resume").touch()
    final = _wait_for(lambda: _final(str(version.pk)), 90, "the version's final state")
    assert final.status == VersionStatus.DONE, final.error
    assert [run.outcome for run in _assert_ran_once(VERSION_JOB, str(version.pk))] == [RunOutcome.COMPLETED]
    assert _log_count(holder, ": 'completed'") == 1


def test_a_killed_workers_job_is_taken_back_by_the_sweep_not_by_the_visibility_timeout(
    sample_files, sqs, celery_processes, tmp_path
):
    # given a worker holding its job's message (invisible for the production visibility timeout)
    pause = {"FAULT_PAUSE_AT": "checking", "FAULT_PAUSE_DIR": str(tmp_path)}
    worker = celery_processes("worker", {**sqs.worker_env, **pause})
    version = _create(sample_files)
    _paused_pid(tmp_path, str(version.pk), "checking")

    # when it is SIGKILLed, and another worker and beat run
    worker.kill()
    celery_processes("worker", {**sqs.worker_env, **pause})
    celery_processes("beat", sqs.worker_env)

    # then the sweep re-queues the job through the outbox and it ends, once, while the first
    # message is still held invisible by SQS
    final = _wait_for(lambda: _final(str(version.pk)), 120, "the version's final state")
    assert final.status == VersionStatus.DONE, final.error
    runs = _assert_ran_once(VERSION_JOB, str(version.pk))
    assert [run.outcome for run in runs] == [RunOutcome.LOST, RunOutcome.COMPLETED]
    # the finishing worker deletes its message once its task has returned, a moment after the
    # version is done: then only the killed worker's message is still held
    _wait_for(lambda: sqs.counts(settings.JOB_QUEUE_HEAVY)[1] == 1, 30, "only the killed worker's message held")


def test_a_job_queued_while_sqs_is_down_waits_in_the_outbox_and_runs_once_it_is_back(
    sample_files, sqs, celery_processes
):
    # given SQS down
    sqs.server.stop()

    # when a job is queued: SQS refuses its message
    started = time.monotonic()
    version = _create(sample_files)
    assert time.monotonic() - started < 20

    # then it waits in the outbox, and once SQS is back (empty: a restart loses everything),
    # the sweep sends it and the job runs once
    message = OutboxMessage.objects.get(lease__object_id=str(version.pk))
    assert message.send_attempts == 1
    assert message.last_error
    sqs.server.start()
    sqs.create_queues()
    celery_processes("worker", sqs.worker_env)
    celery_processes("beat", sqs.worker_env)
    final = _wait_for(lambda: _final(str(version.pk)), 90, "the version's final state")
    assert final.status == VersionStatus.DONE, final.error
    assert [run.outcome for run in _assert_ran_once(VERSION_JOB, str(version.pk))] == [RunOutcome.COMPLETED]
    assert not OutboxMessage.objects.filter(lease__object_id=str(version.pk)).exists()


def test_processing_goes_to_the_heavy_queue_and_everything_short_to_the_light_one(sqs):
    # when each kind of task is sent
    version_process_task.apply_async(args=["not-a-version"])
    current_app.send_task("jobs.sweep")
    current_app.send_task("uploads.tasks.dataset_delete_task", args=["not-a-dataset"])

    # then processing waits in the heavy queue, the sweep and the delete in the light one
    # (waiting or held: a worker stopped by an earlier test may leave a long poll open at the server,
    # which then hands it the next message; that message comes back when its visibility expires)
    _wait_for(lambda: sum(sqs.counts(settings.JOB_QUEUE_LIGHT)) == 2, 10, "two messages in the light queue")
    assert sum(sqs.counts(settings.JOB_QUEUE_HEAVY)) == 1
