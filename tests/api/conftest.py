"""Fixtures of the API tests: a user with a token, a client that sends it, the sample processed
in this process (for the tests that only read)."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client

from api.tokens import token_create
from uploads.models import Dataset
from uploads.processing import version_process
from uploads.services import dataset_create


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    """Counters of this test alone: a key prefix of its own in the shared cache (clearing the cache
    would empty the keys of another test run on the same Redis)."""
    default = settings.CACHES["default"]
    prefix = f"{default.get('KEY_PREFIX', 'test')}-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {**settings.CACHES, "default": {**default, "KEY_PREFIX": prefix}}


@pytest.fixture
def steward():
    return get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")


@pytest.fixture
def token(steward) -> str:
    return token_create(user=steward, name="tests").secret


@pytest.fixture
def api(token) -> Client:
    """The Django test client with `Authorization: Bearer <token>` on every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


def uploads(files: dict[str, bytes]) -> dict[str, ContentFile]:
    return {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}


@pytest.fixture
def processed(sample_files, steward) -> Dataset:
    """The sample, owned by the steward, processed here (no worker)."""
    version = dataset_create(name="Sample", owner=steward, files=uploads(sample_files), enqueue=False)
    version_process(version_id=str(version.pk))
    return Dataset.objects.select_related("current_version").get(pk=version.dataset_id)
