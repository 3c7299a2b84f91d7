"""Deleting a dataset in the Django admin does what the app's delete does: collections and files go too."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.persistence import version_document_counts
from uploads.models import Dataset
from uploads.processing import version_process
from uploads.services import dataset_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def test_the_admin_delete_drops_the_collections_and_removes_the_files(client, sample_files):
    files = {file: ContentFile(content, name=f"{file}.csv") for file, content in sample_files.items()}
    version = version_process(version_id=str(dataset_create(name="Sample", owner=None, files=files, enqueue=False).pk))
    key, names = version.records_key, [version.columns.name, version.summary_json.name]
    assert version_document_counts(version=key)["columns"] == 7
    admin = get_user_model().objects.create_superuser(username="admin", password="pw-for-tests-only")
    client.force_login(admin)

    response = client.post(f"/admin/uploads/dataset/{version.dataset_id}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Dataset.objects.filter(pk=version.dataset_id).exists()
    assert not any(version_document_counts(version=key).values())
    assert not any(default_storage.exists(name) for name in names)
