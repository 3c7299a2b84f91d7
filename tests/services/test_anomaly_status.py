"""Each anomaly's status against the previous done version (`uploads.anomaly_status`), run in this
process against FerretDB and local storage."""

import pytest
from django.core.files.base import ContentFile

from catalog.mongo import version_collection
from catalog.selectors import anomaly_fingerprints_of
from uploads.anomaly_status import version_previous_done
from uploads.models import DatasetVersion, VersionStatus
from uploads.processing import version_process
from uploads.services import dataset_create, version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _processed(version: DatasetVersion) -> DatasetVersion:
    version_process(version_id=str(version.pk))
    version.refresh_from_db()
    return version


def _first(files: dict[str, bytes]) -> DatasetVersion:
    uploads = {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}
    return _processed(dataset_create(name="Sample", owner=None, files=uploads, enqueue=False))


def _next(previous: DatasetVersion, columns: bytes) -> DatasetVersion:
    files = {"columns": ContentFile(columns, name="columns.csv")}
    return _processed(version_create(dataset=previous.dataset, created_by=None, files=files, enqueue=False))


def _statuses(version: DatasetVersion) -> list[str]:
    documents = version_collection(version=version.records_key, kind="anomalies").find({}, {"status": 1})
    return [document["status"] for document in documents]


def test_the_same_files_again_make_every_anomaly_known(sample_files):
    first = _first(sample_files)
    second = _next(first, sample_files["columns"])

    assert set(_statuses(first)) == {"new"}
    assert version_previous_done(version=second) == first
    assert len(_statuses(second)) == first.anomalies_total
    assert set(_statuses(second)) == {"known"}


def test_documents_stored_before_fingerprints_existed_are_matched_by_their_fields(sample_files):
    # given version 1 stored the old way: a message, no variant, params, fingerprint or status
    first = _first(sample_files)
    anomalies = version_collection(version=first.records_key, kind="anomalies")
    fingerprints = {document["fingerprint"] for document in anomalies.find({}, {"fingerprint": 1})}
    anomalies.update_many(
        {}, {"$unset": {"variant": "", "params": "", "fingerprint": "", "status": ""}, "$set": {"message": "m"}}
    )

    # then their fingerprints are computed from the stored fields, as the engine computes them
    assert anomaly_fingerprints_of(version=first.records_key) == fingerprints
    assert set(_statuses(_next(first, sample_files["columns"]))) == {"known"}


def test_no_earlier_done_version_or_no_kept_anomalies_means_all_new(sample_files):
    first = _first(sample_files)
    DatasetVersion.objects.filter(pk=first.pk).update(status=VersionStatus.FAILED)
    second = _next(first, sample_files["columns"])
    assert version_previous_done(version=second) is None
    assert set(_statuses(second)) == {"new"}

    DatasetVersion.objects.filter(pk=second.pk).update(records_kept=False)  # as retention leaves it
    third = _next(second, sample_files["columns"])
    assert version_previous_done(version=third) == second
    assert set(_statuses(third)) == {"new"}
