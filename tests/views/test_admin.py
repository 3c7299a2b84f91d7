"""Deleting a dataset in the Django admin does what the app's delete does: collections and files go too."""

import pytest
from django.core.files.storage import default_storage

from catalog.persistence import version_document_counts
from tests.factories import UserFactory, processed_dataset
from uploads.models import Dataset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def test_the_admin_delete_drops_the_collections_and_removes_the_files(client, sample_files):
    version = processed_dataset(sample_files).current_version
    key, names = version.records_key, [version.columns.name, version.summary_json.name]
    assert version_document_counts(version=key)["columns"] == 7
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)

    response = client.post(f"/admin/uploads/dataset/{version.dataset_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Dataset.objects.filter(pk=version.dataset_id).exists()
    assert not any(version_document_counts(version=key).values())
    assert not any(default_storage.exists(name) for name in names)
