"""Who may call the API: personal tokens (hashed, expiring, revocable, last used), the
session of the docs page, throttles, and the body limit answered in JSON before the body is read."""

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from api.models import ApiToken
from api.tokens import token_authenticate, token_create

pytestmark = pytest.mark.django_db


def test_no_token_is_a_json_401_but_the_token_pages_send_to_the_login_page(client):
    response = client.get("/api/v1/datasets")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert client.get("/api/tokens/")["Location"].startswith("/accounts/login/")
    assert client.get("/api/webhooks/")["Location"].startswith("/accounts/login/")


def test_a_token_is_stored_hashed_and_opens_the_api(api, token, steward):
    stored = ApiToken.objects.get(user=steward)
    assert stored.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.prefix + stored.digest
    assert stored.last_used_at is None
    response = api.get("/api/v1/datasets")
    assert response.status_code == 200, response.content
    assert response.json() == {"items": [], "page": 1, "pages": 1, "total": 0}
    stored.refresh_from_db()
    assert stored.last_used_at is not None


def test_revoked_and_expired_tokens_are_refused(steward):
    revoked, expired = token_create(user=steward, name="a"), token_create(user=steward, name="b")
    ApiToken.objects.filter(pk=revoked.token.pk).update(revoked_at=timezone.now())
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    for created in (revoked, expired):
        response = Client(HTTP_AUTHORIZATION=f"Bearer {created.secret}").get("/api/v1/datasets")
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"
    assert token_authenticate(secret=revoked.secret) is None


def test_bad_tokens_from_one_address_are_throttled(settings):
    settings.API_FAILED_TOKENS_PER_MINUTE = 3
    answers = [Client(HTTP_AUTHORIZATION="Bearer nope").get("/api/v1/datasets").status_code for _ in range(5)]
    assert answers == [401, 401, 401, 429, 429]


def test_one_token_is_throttled_per_minute(api, settings):
    settings.API_REQUESTS_PER_MINUTE = 2
    answers = [api.get("/api/v1/datasets").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_an_oversized_upload_is_refused_in_json_before_its_body_is_read(api, settings):
    settings.UPLOAD_MAX_BYTES = 10
    too_long = settings.UPLOAD_REQUEST_MAX_BYTES + 1
    # The declared length is a lie and the body tiny: only the headers can have refused it.
    response = api.generic(
        "POST", "/api/v1/datasets", b"x", content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(too_long)
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_the_session_of_the_docs_page_reads_but_must_send_the_csrf_token_to_write(steward):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(steward)
    assert browser.get("/api/v1/datasets").status_code == 200
    assert browser.get("/api/v1/docs").status_code == 200
    schema = browser.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    response = browser.post("/api/v1/datasets", {"name": "x"})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_the_command_prints_a_working_token_as_its_last_line(steward, capsys):
    call_command("apitoken", "steward", "--name", "nightly export")
    secret = capsys.readouterr().out.strip().splitlines()[-1]
    assert token_authenticate(secret=secret).name == "nightly export"


def test_the_token_page_shows_a_new_token_once_and_revokes_it(client, steward):
    client.force_login(steward)
    page = client.post("/api/tokens/", {"name": "pipeline", "days": 30}).content.decode()
    stored = ApiToken.objects.get(user=steward, name="pipeline")
    secret = page.split('<code id="new-token">')[1].split("</code>")[0]
    assert token_authenticate(secret=secret) == stored
    assert secret not in client.get("/api/tokens/").content.decode()
    client.post(f"/api/tokens/{stored.pk}/revoke/")
    assert token_authenticate(secret=secret) is None


def test_the_admin_lists_tokens_without_their_secret(client, steward, token):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser(username="admin", password="pw-for-tests-only")
    client.force_login(admin)
    page = client.get("/admin/api/apitoken/")
    assert page.status_code == 200
    assert "tests" in page.content.decode()
    assert token not in page.content.decode()
    for path in ("/admin/api/webhooksubscription/", "/admin/api/webhookdelivery/"):
        assert client.get(path).status_code == 200


def test_another_users_token_webhook_and_delivery_are_not_found(client, steward, token, broker):
    from api.models import ApiToken, WebhookSubscription
    from api.webhooks import subscription_create

    subscription = subscription_create(owner=steward, url="https://example.invalid/hook")
    bob = get_user_model().objects.create_user(username="bob")
    client.force_login(bob)
    stored = ApiToken.objects.get(user=steward)
    client.post(f"/api/tokens/{stored.pk}/revoke/")
    client.post(f"/api/webhooks/{subscription.pk}/delete/")
    assert token_authenticate(secret=token) is not None
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert token not in client.get("/api/tokens/").content.decode()
    assert subscription.secret not in client.get("/api/webhooks/").content.decode()
