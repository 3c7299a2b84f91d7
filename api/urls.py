from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke_view, name="token_revoke"),
    path("webhooks/", views.webhook_list, name="webhook_list"),
    path("webhooks/<uuid:subscription_id>/delete/", views.webhook_delete_view, name="webhook_delete"),
    path(
        "webhooks/deliveries/<uuid:delivery_id>/send-again/", views.delivery_send_again_view, name="delivery_send_again"
    ),
]
