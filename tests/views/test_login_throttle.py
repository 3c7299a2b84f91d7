"""Repeated failed logins are throttled (django-axes): per user name and address, for a cool-off period."""

import pytest
from django.test import Client

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _log_in(client: Client, password: str, address: str = "10.0.0.1"):
    return client.post("/accounts/login/", {"username": "steward", "password": password}, REMOTE_ADDR=address)


def test_a_correct_password_after_a_few_mistakes_logs_in(client, steward, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _log_in(client, "wrong").status_code == 200

    assert _log_in(client, PASSWORD).status_code == 302
    assert client.session.get("_auth_user_id") == str(steward.pk)


def test_the_31st_attempt_after_30_wrong_passwords_does_not_log_in(client, steward):
    for _ in range(30):
        _log_in(client, "wrong")

    response = _log_in(client, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "“steward”" in page


def test_the_lockout_holds_one_user_name_from_one_address(client, steward, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _log_in(client, "wrong")

    assert _log_in(Client(), PASSWORD, address="10.0.0.1").status_code == 429
    assert _log_in(Client(), PASSWORD, address="10.0.0.2").status_code == 302
