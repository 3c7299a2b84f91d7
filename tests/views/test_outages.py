"""Outages answer fast and kindly: MongoDB or storage down gives a short 503 page, never a traceback;
Redis down keeps the job in the outbox and says so (the `jobs` app sends it once Redis is back).

MongoDB is stopped for real: a dedicated FerretDB process on a free port serves these tests, so the
test profile's own server (shared with the rest of the suite) is never touched.

"Fast" is asserted on the configuration the clients were given (their connect and selection
timeouts, the broker's retry policy), never on a stopwatch: on a busy machine a page may take
longer than its timeouts without anything being wrong.
"""

import os
import signal
import subprocess
import uuid

import pytest
from django.core.files.storage import default_storage

from catalog.mongo import mongo_bound_operations, mongo_connect, mongo_disconnect
from jobs.models import OutboxMessage
from tests.conftest import ROOT, _free_port, _stop, _wait_for_port
from tests.factories import published_dataset
from uploads.models import Dataset, DatasetVersion
from uploads.views.datasets import WAITING_FOR_BROKER

pytestmark = pytest.mark.django_db

MONGO_PAGES = [
    "browse/",
    "browse/?namespace=N1",
    "datapoint/?id=DP1",
    "anomalies/",
    "search/?q=carbon",
    "export.json?namespace=N1",
    "search/export.json?q=carbon",
    "versions/1/anomalies/",
]
# Files of a version in storage: its reports and "What changed" (the page and its downloads).
STORAGE_PAGES = ["summary.json", "versions/1/anomalies.csv", "versions/1/changes/", "versions/1/changes.json"]


class DedicatedFerretDB:
    def __init__(self, data_dir):
        self.port = _free_port()
        self.log = (data_dir / "ferretdb.log").open("ab")
        self.process = subprocess.Popen(
            [str(ROOT / "var" / "bin" / "ferretdb-dev"), "-listen", f"127.0.0.1:{self.port}", "-data", str(data_dir)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        _wait_for_port(self.port, self.process, "ferretdb-dev")

    def stop(self) -> None:
        _stop(self.process)
        self.log.close()


@pytest.fixture
def ferretdb(settings, tmp_path):
    """This process talks to its own FerretDB while the test runs, then to the suite's again."""
    server = DedicatedFerretDB(tmp_path)
    settings.MONGODB_URI = f"mongodb://127.0.0.1:{server.port}/"
    mongo_disconnect()
    try:
        yield server
    finally:
        server.stop()
        mongo_disconnect()  # the next query connects to the suite's server, with the restored settings


def _dataset() -> Dataset:
    return published_dataset(
        records_kept=True,
        summary_json="s/summary.json",
        anomalies_csv="s/anomalies.csv",
        diff_json="s/changes.json",
        diff_csv="s/c.csv",
    )


@pytest.mark.parametrize("debug", [False, True])
def test_pages_over_a_stopped_mongodb_answer_a_prompt_503_page(ferretdb, steward_client, settings, debug):
    settings.DEBUG = debug
    dataset = _dataset()
    mongo_connect()
    # given pages that work while MongoDB runs
    assert steward_client.get(f"/datasets/{dataset.pk}/browse/").status_code == 200

    # when MongoDB stops
    ferretdb.stop()

    # then every page that reads it answers 503 with the friendly page
    for page in MONGO_PAGES:
        response = steward_client.get(f"/datasets/{dataset.pk}/{page}")
        body = response.content.decode()
        assert response.status_code == 503, page
        assert "Temporarily unavailable" in body, page
        assert "MongoDB" in body, page
        assert "Traceback" not in body, page
    # promptly: the pages' client gives up after the configured timeouts
    options = mongo_connect().client.options
    assert options.server_selection_timeout == settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS / 1000
    assert options.pool_options.connect_timeout == settings.MONGODB_CONNECT_TIMEOUT_MS / 1000
    assert options.pool_options.socket_timeout == settings.MONGODB_SOCKET_TIMEOUT_MS / 1000
    # and pages that do not need MongoDB still work
    assert steward_client.get(f"/datasets/{dataset.pk}/").status_code == 200


def test_downloads_and_the_changes_page_over_unreachable_storage_answer_503(steward_client, use_storage, settings):
    closed = f"http://127.0.0.1:{_free_port()}"
    use_storage("s3", {"bucket": f"nowhere-{uuid.uuid4().hex[:6]}", "endpoint": closed})
    dataset = _dataset()

    for page in STORAGE_PAGES:
        response = steward_client.get(f"/datasets/{dataset.pk}/{page}")

        assert response.status_code == 503, page
        assert "storage" in response.content.decode(), page
    # promptly: the storage's S3 client was given the short connect timeout and few attempts
    config = default_storage.connection.meta.client.meta.config
    assert config.connect_timeout == settings.AWS_S3_CLIENT_CONFIG.connect_timeout
    assert config.retries == settings.AWS_S3_CLIENT_CONFIG.retries


@pytest.mark.django_db(transaction=True)  # so the sending, on commit, happens inside the request
def test_retrying_while_redis_is_down_keeps_the_job_and_says_so_at_once(steward_client, steward, monkeypatch):
    from zemoga_datasets.celery import app

    port = _free_port()
    closed = f"redis://127.0.0.1:{port}/0"
    dataset = published_dataset(dataset__owner=steward, status="failed")
    sends = []
    real_send = app.send_task
    monkeypatch.setattr(app, "send_task", lambda *args, **kwargs: sends.append(kwargs) or real_send(*args, **kwargs))
    # The app's broker connections are pooled: point a fresh pool at a closed port (Celery reads
    # CELERY_BROKER_URL from the environment first), then put the original pool back.
    monkeypatch.setenv("CELERY_BROKER_URL", closed)
    original = (app._pool, app.amqp._producer_pool)
    app._pool, app.amqp._producer_pool = None, None
    try:
        response = steward_client.post(f"/datasets/{dataset.pk}/versions/1/retry/", follow=True)
        connection = app.pool.connection  # the one the request sent through
    finally:
        if app._pool is not None:
            app._pool.force_close_all()
        app._pool, app.amqp._producer_pool = original

    # Not a 503: the job is written with the version, in the outbox, and waits for Redis.
    assert response.status_code == 200
    assert WAITING_FOR_BROKER in response.content.decode()
    # version 1 is current, so it is processed again as version 2 (pages keep reading version 1)
    queued = DatasetVersion.objects.get(dataset=dataset, number=2)
    assert queued.status == "queued"
    message = OutboxMessage.objects.get(args=[str(queued.pk)])
    # At once: the request tried the broker once, with a bounded retry policy over short connects.
    assert message.send_attempts == 1
    assert "refused" in message.last_error.lower()
    assert len(sends) == 1
    assert connection.port == port
    assert _longest_send(sends[0]["retry_policy"], connection.transport_options["socket_connect_timeout"]) <= 20


def _longest_send(policy: dict, connect_timeout: float) -> float:
    """The longest a send can take on an unreachable broker: each attempt waits for its connect
    timeout, and the waits between them are at most `interval_max`."""
    retries = policy["max_retries"]
    return (retries + 1) * connect_timeout + retries * policy["interval_max"]


def test_the_web_process_waits_one_short_socket_timeout_and_does_not_retry_a_read(settings):
    """On a hung server (it accepts, never answers) a page's first read costs one socket timeout: the
    README's "within a few seconds". Retried, it cost 11.6 s with a 10 s timeout (issue 15)."""
    mongo_bound_operations(socket_timeout_ms=settings.MONGODB_SOCKET_TIMEOUT_MS)  # what the web process does
    client = mongo_connect().client

    assert client.options.pool_options.socket_timeout == settings.MONGODB_SOCKET_TIMEOUT_MS / 1000
    assert client.options.retry_reads is False
    assert settings.MONGODB_SOCKET_TIMEOUT_MS <= 3_000


def test_a_page_over_a_hung_mongodb_answers_503_after_one_read_timeout(ferretdb, steward_client, caplog):
    dataset = _dataset()
    mongo_connect()
    assert steward_client.get(f"/datasets/{dataset.pk}/browse/").status_code == 200

    # when the server hangs: its socket still accepts, nothing answers
    os.kill(ferretdb.process.pid, signal.SIGSTOP)
    try:
        response = steward_client.get(f"/datasets/{dataset.pk}/browse/")
    finally:
        os.kill(ferretdb.process.pid, signal.SIGCONT)

    # then the page answers 503, from the read itself: its timeout, or pymongo's monitor cancelling it
    # when its heartbeat fails (not from a retry waiting on a server selection)
    assert response.status_code == 503
    assert "MongoDB" in response.content.decode()
    assert "NetworkTimeout" in caplog.text or "operation cancelled" in caplog.text, caplog.text
    assert "ServerSelectionTimeoutError" not in caplog.text
