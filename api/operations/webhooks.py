"""Webhook subscriptions and their deliveries, for scripts (the page /api/webhooks/ does the same)."""

from uuid import UUID

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja import Router
from ninja.errors import HttpError
from ninja.responses import Status

from api import schemas
from api.models import WebhookDelivery, WebhookSubscription
from api.operations.common import ERRORS
from api.webhooks import (
    WEBHOOK_DELIVERIES_LISTED,
    WebhookAddressRefused,
    delivery_send_again,
    subscription_create,
    subscription_delete,
)
from uploads.views.access import dataset_for_view

router = Router()


def _webhook_out(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "dataset_id": subscription.dataset_id,
        "event": subscription.event,
        "secret": subscription.secret,
        "created_at": subscription.created_at,
    }


@router.get("/webhooks", response={200: schemas.WebhookList, **ERRORS}, tags=["webhooks"])
def webhooks_list(request):
    """Your subscriptions to `version.finished`."""
    return {"items": [_webhook_out(s) for s in WebhookSubscription.objects.filter(owner=request.user)]}


@router.post("/webhooks", response={201: schemas.Webhook, **ERRORS}, tags=["webhooks"])
def webhooks_create(request, body: schemas.WebhookIn):
    """Subscribes a URL to `version.finished` of one dataset (one you can see) or of every dataset."""
    dataset = dataset_for_view(request, body.dataset_id) if body.dataset_id else None
    if len(str(body.url)) > WebhookSubscription._meta.get_field("url").max_length:
        raise HttpError(422, "The URL is too long (500 characters at most).")
    try:
        subscription = subscription_create(owner=request.user, url=str(body.url), dataset=dataset)
    except WebhookAddressRefused as refused:
        raise HttpError(422, str(refused)) from refused
    return Status(201, _webhook_out(subscription))


@router.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, tags=["webhooks"])
def webhooks_delete(request, webhook_id: UUID):
    if not subscription_delete(owner=request.user, subscription_id=webhook_id):
        raise Http404("No such subscription of yours.")
    return Status(204, None)


@router.get("/webhooks/{webhook_id}/deliveries", response={200: schemas.DeliveryList, **ERRORS}, tags=["webhooks"])
def webhooks_deliveries(request, webhook_id: UUID):
    """The newest deliveries of a subscription: status, answer code, attempts, last error."""
    subscription = get_object_or_404(WebhookSubscription, pk=webhook_id, owner=request.user)
    deliveries = subscription.deliveries.all()[:WEBHOOK_DELIVERIES_LISTED]
    return {"items": list(deliveries)}


@router.post("/deliveries/{delivery_id}/send-again", response={202: schemas.Delivery, **ERRORS}, tags=["webhooks"])
def deliveries_send_again(request, delivery_id: UUID):
    """Queues a new delivery of the same body."""
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, subscription__owner=request.user)
    return Status(202, delivery_send_again(delivery=delivery))
