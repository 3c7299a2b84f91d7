"""The API on real services: create → a real Celery worker → wait → anomalies → a new version →
what changed, and the webhook of each finished version received by a local HTTP server, its
signature checked (the first answer fails: the retry goes through the outbox and the sweep)."""

import csv
import hashlib
import hmac
import json
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from api.models import DeliveryStatus, WebhookDelivery
from api.webhooks import SIGNATURE_HEADER, subscription_create
from jobs.sweep import jobs_sweep
from tests.api.receiver import Receiver
from tests.conftest import SAMPLE_DIR, storage_environment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]


def _wait_final(api, version_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version = api.get(f"/api/v1/versions/{version_id}").json()
        if version["final"]:
            return version
        time.sleep(0.3)
    raise AssertionError(f"version not finished after {timeout}s: {version}")


def _expected() -> set[tuple]:
    with (SAMPLE_DIR / "expected_anomalies.csv").open() as handle:
        return {(r["file"], int(r["line"]), r["field"], r["code"]) for r in csv.DictReader(handle)}


def test_create_wait_anomalies_new_version_changes_and_signed_webhooks(api, steward, sample_files, start_worker):
    start_worker(storage_environment("local", None))
    receiver = Receiver(answers=[500])
    try:
        subscription = subscription_create(owner=steward, url=receiver.url)
        files = {f: SimpleUploadedFile(f"{f}.csv", content, "text/csv") for f, content in sample_files.items()}

        # when the sample is uploaded through the API and processed by the worker
        created = api.post("/api/v1/datasets", {"name": "Through a worker", **files}, HTTP_IDEMPOTENCY_KEY="e2e-1")
        assert created.status_code == 201, created.content
        first = _wait_final(api, created.json()["id"])

        # then its verdict and anomalies are those of the spec's sample
        assert first["status"] == "done"
        assert first["current"]
        assert first["severity_counts"]["error"] >= 1
        anomalies = api.get(f"/api/v1/versions/{first['id']}/anomalies").json()["items"]
        assert {(a["file"], a["line"], a["field"], a["code"]) for a in anomalies} == _expected()

        # when a version replaces the columns file, one line fewer
        columns = sample_files["columns"].decode().splitlines(keepends=True)
        replaced = SimpleUploadedFile("columns.csv", "".join(columns[:-1]).encode(), "text/csv")
        second = api.post(f"/api/v1/datasets/{first['dataset_id']}/versions", {"columns": replaced})
        assert second.status_code == 201, second.content
        second = _wait_final(api, second.json()["id"])

        # then what changed counts the removed column row
        assert second["status"] == "done"
        assert second["number"] == 2
        changes = api.get(f"/api/v1/versions/{second['id']}/changes").json()
        assert changes["summary"]["columns"]["removed"] == 1, changes["summary"]

        # and each finished version was sent, signed; the first answer failed and was retried
        received = receiver.wait_for(3, timeout=60, while_waiting=jobs_sweep)
        assert [status for _, _, status in received] == [500, 200, 200]
        for headers, body, _ in received:
            expected = "sha256=" + hmac.new(subscription.secret.encode(), body, hashlib.sha256).hexdigest()
            assert hmac.compare_digest(headers[SIGNATURE_HEADER], expected)
        numbers = sorted(json.loads(body)["version"]["number"] for _, body, status in received if status == 200)
        assert numbers == [1, 2]
        deadline = time.monotonic() + 30  # the worker records the answer just after the receiver sent it
        while WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        deliveries = {d.payload["version"]["number"]: d for d in WebhookDelivery.objects.all()}
        assert deliveries[1].status == deliveries[2].status == DeliveryStatus.DELIVERED
        assert deliveries[1].attempts == 2
        assert deliveries[2].attempts == 1
    finally:
        receiver.close()
