"""Processing the current version again, the in-progress rule of every change, and what a
refused or failed upload leaves on storage (nothing), in this process against FerretDB."""

import json

import pytest
from django.core.files.storage import default_storage

from catalog.mongo import version_document_counts
from tests.factories import upload_files
from uploads import processing, services
from uploads.models import STORAGE_ROOT, Dataset, DatasetVersion, VersionStatus
from uploads.orphans import storage_files
from uploads.processing import version_process
from uploads.services import (
    DatasetBeingDeleted,
    VersionInProgress,
    VersionIsCurrent,
    dataset_create,
    dataset_delete_request,
    version_create,
    version_process_again,
    version_records_withdraw,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _processed(files: dict[str, bytes]) -> DatasetVersion:
    version = dataset_create(name="Sample", owner=None, files=upload_files(files), enqueue=False)
    return version_process(version_id=str(version.pk))


def _stored(dataset_id) -> list[str]:
    """Every file stored under the dataset's folder."""
    return sorted(storage_files(default_storage, f"{STORAGE_ROOT}/{dataset_id}"))


def test_processing_the_current_version_again_makes_a_new_version_and_keeps_the_current_records(
    sample_files, broker, django_capture_on_commit_callbacks
):
    v1 = _processed(sample_files)
    before = version_document_counts(version=v1.records_key)

    with django_capture_on_commit_callbacks(execute=True):
        v2 = version_process_again(version=v1, requested_by=None)

    # a new version, made from the very same stored files, queued; version 1 untouched and current
    assert (v2.number, v2.replaced_files, v2.status) == (2, [], VersionStatus.QUEUED)
    assert [getattr(v2, file).name for file in ("namespaces", "datapoints", "columns")] == [
        getattr(v1, file).name for file in ("namespaces", "datapoints", "columns")
    ]
    assert v2.sources == {file: {k: v1.sources[file][k] for k in ("name", "size")} for file in v1.sources}
    assert broker.sent == [("uploads.tasks.version_process_task", [str(v2.pk)])]
    assert Dataset.objects.get(pk=v1.dataset_id).current_version_id == v1.pk
    assert version_document_counts(version=v1.records_key) == before

    v2 = version_process(version_id=str(v2.pk))

    # then version 2 is current with the same records, and nothing changed
    assert v2.status == VersionStatus.DONE
    assert Dataset.objects.get(pk=v1.dataset_id).current_version_id == v2.pk
    assert version_document_counts(version=v2.records_key) == before
    with v2.diff_json.open("rb") as handle:
        changes = json.loads(handle.read())
    assert v2.compared_to_id == v1.pk
    assert changes["identical"] is True


def test_a_failed_run_of_the_copy_leaves_the_current_version_whole(sample_files, monkeypatch):
    v1 = _processed(sample_files)
    before = version_document_counts(version=v1.records_key)
    v2 = version_process_again(version=v1, requested_by=None)

    def crash(**_):
        raise RuntimeError("the worker's disk is full")

    monkeypatch.setattr(processing, "browse_index_persist", crash)
    v2 = version_process(version_id=str(v2.pk))

    assert v2.status == VersionStatus.FAILED
    assert Dataset.objects.get(pk=v1.dataset_id).current_version_id == v1.pk
    assert version_document_counts(version=v1.records_key) == before
    assert not any(version_document_counts(version=v2.records_key).values())


def test_the_current_version_is_never_processed_again_in_place(sample_files):
    v1 = _processed(sample_files)
    before = version_document_counts(version=v1.records_key)

    # a stray message for the current version (none is sent, but one could be replayed)
    again = version_process(version_id=str(v1.pk))
    processing.version_fail(object_id=str(v1.pk), reason="Given up.")

    assert again.status == VersionStatus.DONE
    assert version_document_counts(version=v1.records_key) == before
    assert DatasetVersion.objects.get(pk=v1.pk).status == VersionStatus.DONE
    with pytest.raises(VersionIsCurrent):
        version_records_withdraw(version=v1)


def test_every_change_is_refused_with_the_reason_while_a_version_is_in_progress(sample_files):
    v1 = _processed(sample_files)
    v2 = version_create(dataset=v1.dataset, created_by=None, files=upload_files(sample_files), enqueue=False)
    stored = _stored(v1.dataset_id)

    for change in (
        lambda: version_create(dataset=v1.dataset, created_by=None, files=upload_files(sample_files)),
        lambda: version_process_again(version=v1, requested_by=None),
        lambda: dataset_delete_request(dataset=v1.dataset),
    ):
        with pytest.raises(VersionInProgress, match="still being processed"):
            change()

    # and the refused upload stored nothing
    assert _stored(v1.dataset_id) == stored
    assert list(DatasetVersion.objects.filter(dataset=v1.dataset).values_list("number", flat=True)) == [2, 1]
    assert not Dataset.objects.get(pk=v1.dataset_id).deleting
    version_process(version_id=str(v2.pk))


def test_nothing_starts_on_a_dataset_being_deleted(sample_files, broker):
    v1 = _processed(sample_files)
    assert dataset_delete_request(dataset=v1.dataset)
    stored = _stored(v1.dataset_id)

    with pytest.raises(DatasetBeingDeleted):
        version_create(dataset=v1.dataset, created_by=None, files=upload_files(sample_files))
    with pytest.raises(DatasetBeingDeleted):
        version_process_again(version=v1, requested_by=None)
    assert not dataset_delete_request(dataset=v1.dataset)  # asked twice: the delete goes on, once

    assert _stored(v1.dataset_id) == stored
    assert len(broker.sent) == 0 or all(name.endswith("dataset_delete_task") for name, _ in broker.sent)


def test_an_upload_that_fails_after_its_files_were_stored_removes_them(sample_files, monkeypatch):
    v1 = _processed(sample_files)
    stored = _stored(v1.dataset_id)

    def broker_refuses(**_):
        raise RuntimeError("the outbox could not be written")

    monkeypatch.setattr(services, "job_enqueue", broker_refuses)
    with pytest.raises(RuntimeError):
        version_create(dataset=v1.dataset, created_by=None, files=upload_files(sample_files))
    with pytest.raises(RuntimeError):
        dataset_create(name="Never saved", owner=None, files=upload_files(sample_files))

    assert _stored(v1.dataset_id) == stored
    assert DatasetVersion.objects.count() == 1
    assert Dataset.objects.count() == 1
