"""Webhooks on `version.finished`: subscriptions, deliveries written with the version's finish
(outbox), each sent by a job of its own with retries and backoff (the jobs app), signed with
HMAC-SHA256 of the body under the subscription's secret."""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from api.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from jobs.leases import TransientJobError
from jobs.outbox import job_enqueue
from jobs.runs import job_may_retry
from uploads.models import DatasetVersion

logger = logging.getLogger(__name__)

DELIVERY_JOB = "webhook.deliver"
EVENT_VERSION_FINISHED = "version.finished"
SIGNATURE_HEADER = "X-Zemoga-Signature"
EVENT_HEADER = "X-Zemoga-Event"
DELIVERY_HEADER = "X-Zemoga-Delivery"
# The newest deliveries a page or the API lists per subscription.
WEBHOOK_DELIVERIES_LISTED = 50


class WebhookAddressRefused(ValueError):
    """A webhook URL whose host is, or resolves to, an address inside the network the server runs in."""


def webhook_address_check(url: str) -> None:
    """Raises WebhookAddressRefused unless every address the URL's host resolves to is public: a
    webhook must not make the server call its own network (loopback, private, link-local such as
    the cloud's metadata service, reserved). Checked when subscribing and again before each
    delivery (a name may resolve elsewhere later). WEBHOOK_ALLOW_PRIVATE_ADDRESSES lifts it (tests,
    a receiver on the same private network)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return
    host = urlsplit(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError) as exc:
        raise WebhookAddressRefused(f"The host {host!r} of the URL could not be resolved.") from exc
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not ip.is_global or ip.is_multicast:
            raise WebhookAddressRefused(
                f"The host {host!r} resolves to {ip}, an address inside the server's own network: "
                "webhooks are sent to public addresses only."
            )


def webhook_sign(*, secret: str, body: bytes) -> str:
    """The signature header's value: `sha256=` and the hex HMAC-SHA256 of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def subscription_create(*, owner, url: str, dataset=None) -> WebhookSubscription:
    webhook_address_check(url)
    return WebhookSubscription.objects.create(
        owner=owner, url=url, dataset=dataset, secret=secrets.token_urlsafe(32), event=EVENT_VERSION_FINISHED
    )


def subscription_delete(*, owner, subscription_id) -> bool:
    return WebhookSubscription.objects.filter(pk=subscription_id, owner=owner).delete()[0] > 0


def severity_counts(*, version: DatasetVersion) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in version.anomaly_counts():
        totals[row["severity"]] = totals.get(row["severity"], 0) + row["count"]
    return totals


def version_finished_payload(*, version: DatasetVersion) -> dict:
    base = settings.SITE_URL.rstrip("/")
    return {
        "event": EVENT_VERSION_FINISHED,
        "dataset": {"id": str(version.dataset_id), "name": version.dataset.name},
        "version": {"id": str(version.pk), "number": version.number},
        "status": version.status,
        "error": version.error or None,
        "anomalies_total": version.anomalies_total,
        "counts": severity_counts(version=version),
        "finished_at": version.finished_at.isoformat() if version.finished_at else None,
        "links": {
            "version": f"{base}/api/v1/versions/{version.pk}",
            "anomalies": f"{base}/api/v1/versions/{version.pk}/anomalies",
            "page": base + reverse("uploads:dataset_detail", args=[version.dataset_id]),
        },
    }


def _delivery_enqueue(*, subscription: WebhookSubscription, payload: dict) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(subscription=subscription, event=payload["event"], payload=payload)
    job_enqueue(kind=DELIVERY_JOB, object_id=str(delivery.pk))
    return delivery


def deliveries_for_version(sender=None, *, version: DatasetVersion, **kwargs) -> int:
    """Receiver of `version_finished`: one delivery per matching subscription, in a savepoint of
    the finishing transaction (the messages leave when it commits). Sends nothing itself."""
    with transaction.atomic():
        subscriptions = list(
            WebhookSubscription.objects.filter(active=True, event=EVENT_VERSION_FINISHED).filter(
                Q(dataset__isnull=True) | Q(dataset_id=version.dataset_id)
            )
        )
        if not subscriptions:
            return 0
        version = DatasetVersion.objects.select_related("dataset").get(pk=version.pk)
        payload = version_finished_payload(version=version)
        return len([_delivery_enqueue(subscription=s, payload=payload) for s in subscriptions])


def delivery_send_again(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """A new delivery of the same body (the log keeps the first)."""
    with transaction.atomic():
        return _delivery_enqueue(subscription=delivery.subscription, payload=delivery.payload)


def webhook_deliver(*, delivery_id: str) -> None:
    """One attempt: POSTs the signed body; a non-2xx answer or no answer is retried by the job
    (TransientJobError) until JOB_MAX_ATTEMPTS, then the delivery is failed."""
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "zemoga-datasets-webhooks/1",
        SIGNATURE_HEADER: webhook_sign(secret=delivery.subscription.secret, body=body),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.pk),
    }
    code, error = None, ""
    try:
        webhook_address_check(delivery.subscription.url)
    except WebhookAddressRefused as refused:  # never sent: retrying cannot help
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=str(refused)[:300], last_attempt_at=timezone.now()
        )
        return
    try:
        response = httpx.post(
            delivery.subscription.url,
            content=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            follow_redirects=False,
        )
        code = response.status_code
        if not response.is_success:
            error = f"the endpoint answered {code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
    now = timezone.now()
    fields = {"response_code": code, "last_error": error, "last_attempt_at": now, "attempts": delivery.attempts + 1}
    if not error:
        fields.update(status=DeliveryStatus.DELIVERED, delivered_at=now)
    elif not job_may_retry():
        fields.update(status=DeliveryStatus.FAILED)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    if error and fields.get("status") != DeliveryStatus.FAILED:
        raise TransientJobError(f"The webhook could not be delivered ({error}).")


def delivery_give_up(*, object_id: str, reason: str) -> None:
    WebhookDelivery.objects.filter(pk=object_id, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error=reason
    )


def delivery_finished(*, object_id: str) -> bool:
    return not WebhookDelivery.objects.filter(pk=object_id, status=DeliveryStatus.PENDING).exists()


def deliveries_existing(*, object_ids: list[str]) -> set[str]:
    return {str(pk) for pk in WebhookDelivery.objects.filter(pk__in=object_ids).values_list("pk", flat=True)}
