"""/healthz and /readyz: without login, JSON, and 503 with the failing check named when a service is down."""

import pytest

from catalog.mongo import mongo_disconnect
from tests.conftest import _free_port
from zemoga_datasets.settings.base import cache_settings

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def test_healthz_answers_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_readyz_checks_every_service_without_login(client, settings):
    response = client.get("/readyz")

    report = response.json()
    assert response.status_code == 200, report
    assert report["ready"] is True
    assert set(report["checks"]) == {"database", "mongodb", "broker", "storage", "cache"}
    assert all(check["ok"] for check in report["checks"].values())
    # each check names what it talked to, the broker's transport included
    assert report["checks"]["broker"]["service"] == settings.BROKER_TRANSPORT
    assert report["checks"]["database"]["service"] in {"sqlite", "postgresql"}
    assert report["checks"]["storage"]["service"] in {"filesystem", "s3"}
    # the shared cache: Redis's database 1 beside the broker, or the database in the cluster shape
    expected = "redis" if settings.BROKER_TRANSPORT == "redis" else "database"
    assert report["checks"]["cache"]["service"] == settings.CACHE_KIND == expected


@pytest.fixture
def mongodb_down(settings):
    settings.MONGODB_URI = f"mongodb://127.0.0.1:{_free_port()}/"
    mongo_disconnect()
    yield
    mongo_disconnect()


def test_readyz_fails_with_mongodb_down(client, mongodb_down):
    response = client.get("/readyz")

    report = response.json()
    assert response.status_code == 503
    assert report["ready"] is False
    assert report["checks"]["mongodb"]["ok"] is False
    assert report["checks"]["mongodb"]["error"]
    assert report["checks"]["broker"]["ok"]
    assert report["checks"]["database"]["ok"]


def test_readyz_fails_with_redis_down(client, settings):
    settings.BROKER_TRANSPORT = "redis"
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_free_port()}/0"

    response = client.get("/readyz")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["service"] == "redis"
    assert broker["ok"] is False
    assert response.json()["checks"]["mongodb"]["ok"] is True


def test_readyz_fails_when_the_shared_cache_is_unreachable(client, settings):
    _, unreachable = cache_settings(f"redis://127.0.0.1:{_free_port()}/1", connect_timeout=1)
    settings.CACHES = {**settings.CACHES, "default": unreachable}
    settings.CACHE_KIND = "redis"

    response = client.get("/readyz")

    assert response.status_code == 503
    cache = response.json()["checks"]["cache"]
    assert cache["service"] == "redis"
    assert cache["ok"] is False
    assert "ConnectionError" in cache["error"]
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db(transaction=True)  # the check reads the table from a thread of its own
def test_readyz_checks_the_database_cache_table(client, settings):
    kind, database = cache_settings("db", connect_timeout=1)
    settings.CACHES = {**settings.CACHES, "default": database}
    settings.CACHE_KIND = kind
    checked = client.get("/readyz").json()["checks"]["cache"]
    assert checked["ok"] is True, checked
    assert checked["service"] == "database"

    # a cache table missing (a database not migrated) fails the check, by name
    settings.CACHES = {**settings.CACHES, "default": {**database, "LOCATION": "no_such_cache_table"}}
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False
    assert response.json()["checks"]["cache"]["service"] == "database"
