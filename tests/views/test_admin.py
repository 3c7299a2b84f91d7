"""Deleting a dataset in the Django admin takes the app's one delete path: refused with the reason
while a version is being processed, otherwise queued for the worker, which drops the collections
and removes the files."""

import pytest
from django.core.files.storage import default_storage

from catalog.mongo import version_document_counts
from tests.factories import UserFactory, upload_files
from uploads.models import Dataset
from uploads.processing import version_process
from uploads.services import dataset_create, version_create
from uploads.tasks import dataset_delete_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


@pytest.fixture
def admin_client(client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_the_admin_delete_is_queued_then_drops_the_collections_and_removes_the_files(
    admin_client, sample_files, broker, django_capture_on_commit_callbacks
):
    version = dataset_create(name="Sample", owner=None, files=upload_files(sample_files), enqueue=False)
    version = version_process(version_id=str(version.pk))
    key, names = version.records_key, [version.columns.name, version.summary_json.name]
    assert version_document_counts(version=key)["columns"] == 7

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            f"/admin/uploads/dataset/{version.dataset_id}/delete/", {"post": "yes"}, follow=True
        )

    assert response.status_code == 200
    assert "is being deleted" in response.content.decode()
    assert Dataset.objects.get(pk=version.dataset_id).deleting
    assert broker.sent == [("uploads.tasks.dataset_delete_task", [str(version.dataset_id)])]
    assert dataset_delete_task.apply(args=broker.sent[0][1]).get() == "completed"
    assert not Dataset.objects.filter(pk=version.dataset_id).exists()
    assert not any(version_document_counts(version=key).values())
    assert not any(default_storage.exists(name) for name in names)


def test_the_admin_delete_is_refused_with_the_reason_while_a_version_is_processed(admin_client, sample_files, broker):
    v1 = dataset_create(name="Sample", owner=None, files=upload_files(sample_files), enqueue=False)
    v1 = version_process(version_id=str(v1.pk))
    v2 = version_create(dataset=v1.dataset, created_by=None, files=upload_files(sample_files), enqueue=False)

    response = admin_client.post(f"/admin/uploads/dataset/{v1.dataset_id}/delete/", {"post": "yes"}, follow=True)

    assert response.status_code == 200
    assert "still being processed" in response.content.decode()
    dataset = Dataset.objects.get(pk=v1.dataset_id)
    assert not dataset.deleting
    assert dataset.versions.count() == 2
    assert broker.sent == []
    assert version_document_counts(version=v1.records_key)["columns"] == 7
    assert default_storage.exists(v2.columns.name)
