"""Pages of a person's API access: tokens (create, shown once; revoke) and webhooks
(subscribe, unsubscribe, the delivery log with "send again")."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from api.forms import TokenCreateForm, WebhookCreateForm
from api.models import WebhookDelivery
from api.tokens import token_create, token_revoke
from api.webhooks import (
    WEBHOOK_DELIVERIES_LISTED,
    WebhookAddressRefused,
    delivery_send_again,
    subscription_create,
    subscription_delete,
)


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    created = None
    form = TokenCreateForm(request.POST or None, initial={"days": settings.API_TOKEN_DAYS})
    if request.method == "POST" and form.is_valid():
        created = token_create(user=request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
        form = TokenCreateForm(initial={"days": settings.API_TOKEN_DAYS})
    context = {"form": form, "created": created, "tokens": request.user.api_tokens.all()}
    return render(request, "api/tokens.html", context, status=400 if form.errors else 200)


@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if token_revoke(user=request.user, token_id=token_id):
        messages.success(request, "The token was revoked: it no longer opens the API.")
    return redirect("api:token_list")


@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    form = WebhookCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription_create(owner=request.user, url=form.cleaned_data["url"], dataset=form.cleaned_data["dataset"])
        except WebhookAddressRefused as refused:
            form.add_error("url", str(refused))
        else:
            messages.success(request, "Subscribed: each finished version is sent to this URL.")
            return redirect("api:webhook_list")
    subscriptions = request.user.webhooks.select_related("dataset")
    deliveries = WebhookDelivery.objects.filter(subscription__owner=request.user).select_related("subscription")
    context = {"form": form, "subscriptions": subscriptions, "deliveries": deliveries[:WEBHOOK_DELIVERIES_LISTED]}
    return render(request, "api/webhooks.html", context, status=400 if form.errors else 200)


@require_POST
def webhook_delete_view(request: HttpRequest, subscription_id) -> HttpResponse:
    if subscription_delete(owner=request.user, subscription_id=subscription_id):
        messages.success(request, "Unsubscribed.")
    return redirect("api:webhook_list")


@require_POST
def delivery_send_again_view(request: HttpRequest, delivery_id) -> HttpResponse:
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, subscription__owner=request.user)
    delivery_send_again(delivery=delivery)
    messages.success(request, "The delivery is queued again.")
    return redirect("api:webhook_list")
