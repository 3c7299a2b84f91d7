"""The search across datasets: login required, datasets being deleted or never published left out."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import DatasetFactory, VersionFactory

pytestmark = pytest.mark.django_db


def test_the_search_across_datasets_needs_a_login(client):
    response = client.get("/search/", {"q": "fund"})
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_datasets_list_offers_the_search_across_datasets(client):
    client.force_login(get_user_model().objects.create_user(username="reader", password="pw-for-tests-only"))
    page = client.get("/").content.decode()
    assert 'action="/search/"' in page
    assert "Search every dataset" in page


def test_without_a_published_dataset_nothing_is_searched(client):
    client.force_login(get_user_model().objects.create_user(username="reader", password="pw-for-tests-only"))
    VersionFactory(dataset=DatasetFactory(name="Never published"), number=1, status="failed")

    page = client.get("/search/", {"q": "fund"}).content.decode()

    assert 'id="nothing-found"' in page
    assert "Never published" not in page.split("</h1>", 1)[1]
