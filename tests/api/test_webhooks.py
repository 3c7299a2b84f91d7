"""Webhook deliveries run by their job in this process (no worker): deliveries are written when
a version finishes, signed with the subscription's secret, retried after a failed answer, given
up after the last attempt; the page shows the log and sends again."""

import hashlib
import hmac
import json
import socket

import pytest
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from api.tasks import webhook_deliver_task
from api.webhooks import SIGNATURE_HEADER, WebhookAddressRefused, subscription_create
from jobs.models import JobLease
from tests.api.receiver import Receiver
from uploads.models import Dataset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def _signed_by(secret: str, headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(headers[SIGNATURE_HEADER], expected)


def _due_now(delivery: WebhookDelivery) -> None:
    """Skips the backoff of the retry (the test settings' 2 s)."""
    JobLease.objects.filter(kind="webhook.deliver", object_id=str(delivery.pk)).update(available_at=timezone.now())


def test_a_finished_version_is_sent_signed_to_each_matching_subscription(steward, receiver, sample_files, broker):
    from tests.api.conftest import uploads
    from uploads.processing import version_process
    from uploads.services import dataset_create

    other = Dataset.objects.create(name="Other")
    everything = subscription_create(owner=steward, url=receiver.url)
    subscription_create(owner=steward, url=receiver.url + "/other", dataset=other)
    version = dataset_create(name="Sample", owner=steward, files=uploads(sample_files), enqueue=False)
    version_process(version_id=str(version.pk))

    # the processing job only wrote the delivery: nothing was sent from it, so no endpoint can slow it
    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.subscription == everything
    assert delivery.status == DeliveryStatus.PENDING
    assert receiver.received == []
    assert delivery.attempts == 0
    assert webhook_deliver_task(str(delivery.pk)) == "completed"
    ((headers, body, status),) = receiver.received
    assert _signed_by(everything.secret, headers, body)
    assert not _signed_by("another secret", headers, body)
    payload = json.loads(body)
    assert payload["event"] == "version.finished"
    assert payload["status"] == "done"
    assert payload["dataset"] == {"id": str(version.dataset_id), "name": "Sample"}
    assert payload["version"] == {"id": str(version.pk), "number": 1}
    assert sum(payload["counts"].values()) == payload["anomalies_total"] == 10
    assert payload["links"]["version"].endswith(f"/api/v1/versions/{version.pk}")
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.DELIVERED, 200, 1)


def test_a_failed_answer_is_retried_through_the_job_then_delivered(steward, processed, broker):
    receiver = Receiver(answers=[503])
    try:
        subscription = subscription_create(owner=steward, url=receiver.url)
        from api.webhooks import deliveries_for_version

        deliveries_for_version(version=processed.current_version)
        delivery = WebhookDelivery.objects.get(subscription=subscription)
        assert webhook_deliver_task(str(delivery.pk)) == "retrying"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.PENDING, 503, 1)
        _due_now(delivery)
        assert webhook_deliver_task(str(delivery.pk)) == "completed"
        delivery.refresh_from_db()
        assert (delivery.status, delivery.response_code, delivery.attempts) == (DeliveryStatus.DELIVERED, 200, 2)
        assert [status for _, _, status in receiver.received] == [503, 200]
    finally:
        receiver.close()


def test_a_dead_endpoint_is_given_up_after_the_last_attempt(steward, processed, broker, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    subscription = subscription_create(owner=steward, url=dead)
    from api.webhooks import deliveries_for_version

    deliveries_for_version(version=processed.current_version)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert webhook_deliver_task(str(delivery.pk)) == "retrying"
    _due_now(delivery)
    assert webhook_deliver_task(str(delivery.pk)) == "completed"
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 2
    assert delivery.response_code is None
    assert "ConnectError" in delivery.last_error


def test_the_page_subscribes_shows_the_log_and_sends_again(client, steward, processed, broker):
    client.force_login(steward)
    assert client.post("/api/webhooks/", {"url": "https://example.invalid/hook"}).status_code == 302
    from api.webhooks import deliveries_for_version

    deliveries_for_version(version=processed.current_version)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED, response_code=500, attempts=4)
    page = client.get("/api/webhooks/").content.decode()
    assert "https://example.invalid/hook" in page
    assert "Sample v1 (done)" in page
    assert "Send again" in page
    client.post(f"/api/webhooks/deliveries/{delivery.pk}/send-again/")
    again = WebhookDelivery.objects.exclude(pk=delivery.pk).get()
    assert again.payload == delivery.payload
    assert again.status == DeliveryStatus.PENDING
    assert JobLease.objects.filter(kind="webhook.deliver", object_id=str(again.pk)).exists()


def test_the_api_subscribes_lists_deliveries_sends_again_and_unsubscribes(api, processed, broker):
    created = api.post(
        "/api/v1/webhooks",
        {"url": "https://example.invalid/hook", "dataset_id": str(processed.pk)},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    webhook = created.json()
    assert webhook["dataset_id"] == str(processed.pk)
    assert len(webhook["secret"]) >= 40
    assert api.get("/api/v1/webhooks").json()["items"] == [webhook]
    from api.webhooks import deliveries_for_version

    deliveries_for_version(version=processed.current_version)
    (delivery,) = api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries").json()["items"]
    assert delivery["status"] == "pending"
    assert delivery["payload"]["version"]["number"] == 1
    again = api.post(f"/api/v1/deliveries/{delivery['id']}/send-again")
    assert again.status_code == 202
    assert again.json()["payload"] == delivery["payload"]
    assert len(api.get(f"/api/v1/webhooks/{webhook['id']}/deliveries").json()["items"]) == 2
    bad = api.post("/api/v1/webhooks", {"url": "not a url"}, content_type="application/json")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][-1] == "url"
    assert api.delete(f"/api/v1/webhooks/{webhook['id']}").status_code == 204
    assert api.delete(f"/api/v1/webhooks/{webhook['id']}").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest"],
)
def test_a_url_inside_the_server_s_network_is_refused_when_subscribing(steward, api, client, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    with pytest.raises(WebhookAddressRefused, match="public addresses only"):
        subscription_create(owner=steward, url=url)
    answer = api.post("/api/v1/webhooks", {"url": url}, content_type="application/json")
    client.force_login(steward)
    page = client.post("/api/webhooks/", {"url": url})

    assert answer.status_code == 422
    assert "public addresses only" in answer.json()["detail"]
    assert page.status_code == 400
    assert "public addresses only" in page.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_delivery_to_an_address_inside_the_network_fails_unsent_and_is_not_retried(
    steward, receiver, processed, broker, settings
):
    subscription = subscription_create(owner=steward, url=receiver.url)  # allowed when subscribed
    from api.webhooks import deliveries_for_version

    deliveries_for_version(version=processed.current_version)
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False

    assert webhook_deliver_task(str(delivery.pk)) == "completed"

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert "public addresses only" in delivery.last_error
    assert receiver.received == []
