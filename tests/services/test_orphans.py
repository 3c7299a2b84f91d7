"""The orphan sweep against FerretDB and local storage: planted orphans found and removed, what a
version still references (or an upload younger than the grace) kept; run as a job and on demand."""

import uuid
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from catalog.mongo import version_collection, version_collections_stored, version_document_counts
from jobs.models import JobRun
from tests.factories import upload_files
from uploads.models import STORAGE_ROOT
from uploads.orphans import orphans_sweep, orphans_sweep_request
from uploads.processing import version_process
from uploads.services import dataset_create, version_create, version_delete
from uploads.tasks import orphans_sweep_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _plant_collections(count: int) -> list[str]:
    """Collections of versions that never existed, one document each."""
    keys = [uuid.uuid4().hex for _ in range(count)]
    for key in keys:
        for kind in ("columns", "anomalies"):
            version_collection(version=key, kind=kind).insert_one({"_id": "planted"})
    return keys


def _plant_files(count: int) -> list[str]:
    names = []
    for _ in range(count):
        folder = f"{STORAGE_ROOT}/{uuid.uuid4()}/versions/{uuid.uuid4()}"
        for name in ("uploads/columns.csv", "reports/summary.json"):
            names.append(default_storage.save(f"{folder}/{name}", ContentFile(b"planted")))
    return names


@pytest.fixture
def two_versions(sample_files):
    """Version 1 deleted after version 2 took over two of its uploads (still referenced)."""
    v1 = version_process(
        version_id=str(dataset_create(name="Kept", owner=None, files=upload_files(sample_files), enqueue=False).pk)
    )
    v2 = version_create(
        dataset=v1.dataset, created_by=None, files=upload_files({"columns": sample_files["columns"]}), enqueue=False
    )
    v2 = version_process(version_id=str(v2.pk))
    version_delete(version=v1)
    return v2


def test_the_sweep_removes_planted_orphans_and_keeps_what_a_version_references(two_versions, settings):
    settings.ORPHANS_MIN_AGE_SECONDS = 0
    kept = two_versions
    keys, names = _plant_collections(3), _plant_files(4)

    # (earlier tests leave their collections and files behind too: the planted ones are among them)
    planted_collections = {f"v{key}_{kind}" for key in keys for kind in ("anomalies", "columns")}
    found = orphans_sweep(remove=False)
    assert planted_collections <= set(found.collections)
    assert set(names) <= set(found.files)
    assert all(default_storage.exists(name) for name in names)  # a dry run removes nothing

    removed = orphans_sweep()

    assert (removed.collections, removed.files) == (found.collections, found.files)
    assert str(removed) == f"{len(found.collections)} orphan collections and {len(found.files)} orphan files removed"
    assert not set(keys) & set(version_collections_stored())
    assert not any(default_storage.exists(name) for name in names)
    # the surviving version, and the uploads it carried over from the deleted one, are untouched
    assert version_document_counts(version=kept.records_key)["columns"] == 7
    assert kept.namespaces.name.split("/")[3] != str(kept.pk)  # stored in version 1's folder
    assert all(default_storage.exists(getattr(kept, file).name) for file in ("namespaces", "datapoints", "columns"))
    assert orphans_sweep().files == []
    assert orphans_sweep().collections == []


def test_a_file_younger_than_the_grace_is_left_for_a_later_sweep(settings):
    settings.ORPHANS_MIN_AGE_SECONDS = 3600
    names = _plant_files(1)

    assert not set(names) & set(orphans_sweep().files)
    assert all(default_storage.exists(name) for name in names)


def test_the_sweep_runs_as_a_job_of_the_jobs_app(settings, broker, django_capture_on_commit_callbacks):
    settings.ORPHANS_MIN_AGE_SECONDS = 0
    keys = _plant_collections(1)

    with django_capture_on_commit_callbacks(execute=True):
        assert orphans_sweep_request() is True
        assert orphans_sweep_request() is False  # queued already: not asked twice
    [(task, args)] = broker.sent

    assert task == "uploads.tasks.orphans_sweep_task"
    assert orphans_sweep_task.apply(args=args).get() == "completed"
    assert keys[0] not in version_collections_stored()
    assert list(JobRun.objects.values_list("outcome", flat=True)) == ["completed"]


def test_the_command_says_how_many_it_removed(settings):
    settings.ORPHANS_MIN_AGE_SECONDS = 0
    orphans_sweep()  # what earlier tests left
    _plant_collections(2)
    _plant_files(1)
    out = StringIO()

    call_command("orphans_sweep", stdout=out)

    assert out.getvalue().endswith("4 orphan collections and 2 orphan files removed.\n")
