"""Outages answer fast and kindly: MongoDB or storage down gives a short 503 page, never a traceback;
Redis down keeps the job in the outbox and says so (the `jobs` app sends it once Redis is back).

MongoDB is stopped for real: a dedicated FerretDB process on a free port serves these tests, so the
test profile's own server (shared with the rest of the suite) is never touched.
"""

import subprocess
import time
import uuid

import pytest
from django.contrib.auth import get_user_model

from catalog.mongo import mongo_connect, mongo_disconnect
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


@pytest.fixture
def steward_client(client):
    client.force_login(get_user_model().objects.create_user(username="steward", password="pw-for-tests-only"))
    return client


def _dataset() -> Dataset:
    return published_dataset(
        records_kept=True,
        summary_json="s/summary.json",
        anomalies_csv="s/anomalies.csv",
        diff_json="s/changes.json",
        diff_csv="s/c.csv",
    )


def _timed_get(client, url: str):
    started = time.monotonic()
    response = client.get(url)
    return response, time.monotonic() - started


@pytest.mark.parametrize("debug", [False, True])
def test_pages_over_a_stopped_mongodb_answer_a_prompt_503_page(ferretdb, steward_client, settings, debug):
    settings.DEBUG = debug
    dataset = _dataset()
    mongo_connect()
    # given pages that work while MongoDB runs
    assert steward_client.get(f"/datasets/{dataset.pk}/browse/").status_code == 200

    # when MongoDB stops
    ferretdb.stop()

    # then every page that reads it answers 503 with the friendly page, within the selection timeout
    budget = settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS / 1000 + 3
    for page in MONGO_PAGES:
        response, elapsed = _timed_get(steward_client, f"/datasets/{dataset.pk}/{page}")
        body = response.content.decode()
        assert response.status_code == 503, page
        assert "Temporarily unavailable" in body and "MongoDB" in body, page
        assert "Traceback" not in body, page
        assert elapsed < budget, f"{page} took {elapsed:.1f}s"
    # and pages that do not need MongoDB still work
    assert steward_client.get(f"/datasets/{dataset.pk}/").status_code == 200


def test_downloads_and_the_changes_page_over_unreachable_storage_answer_503(steward_client, use_storage):
    closed = f"http://127.0.0.1:{_free_port()}"
    use_storage("s3", {"bucket": f"nowhere-{uuid.uuid4().hex[:6]}", "endpoint": closed})
    dataset = _dataset()

    for page in STORAGE_PAGES:
        response, elapsed = _timed_get(steward_client, f"/datasets/{dataset.pk}/{page}")

        assert response.status_code == 503, page
        assert "storage" in response.content.decode(), page
        assert elapsed < 10, f"{page} took {elapsed:.1f}s"


@pytest.mark.django_db(transaction=True)  # so the sending, on commit, happens inside the request
def test_retrying_while_redis_is_down_keeps_the_job_and_says_so_at_once(steward_client, monkeypatch):
    from zemoga_datasets.celery import app

    closed = f"redis://127.0.0.1:{_free_port()}/0"
    dataset = published_dataset(dataset__owner=get_user_model().objects.get(username="steward"), status="failed")
    # The app's broker connections are pooled: point a fresh pool at a closed port (Celery reads
    # CELERY_BROKER_URL from the environment first), then put the original pool back.
    monkeypatch.setenv("CELERY_BROKER_URL", closed)
    original = (app._pool, app.amqp._producer_pool)
    app._pool, app.amqp._producer_pool = None, None
    try:
        started = time.monotonic()
        response = steward_client.post(f"/datasets/{dataset.pk}/versions/1/retry/", follow=True)
        elapsed = time.monotonic() - started
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
    assert OutboxMessage.objects.filter(args=[str(queued.pk)]).exists()
    assert elapsed < 15
