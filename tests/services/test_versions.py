"""The versions services and the processing job, run in this process against FerretDB and local storage."""

import csv
import io
import json

import pytest
from django.core.files.storage import default_storage

from catalog.mongo import VERSION_COLLECTIONS, version_document_counts
from tests.factories import upload_files
from uploads import processing
from uploads.models import Dataset, DatasetVersion, VersionStatus
from uploads.processing import version_process
from uploads.services import (
    VersionInProgress,
    dataset_create,
    dataset_delete,
    dataset_delete_request,
    version_create,
    version_delete,
    version_process_again,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

NOTHING = dict.fromkeys(VERSION_COLLECTIONS, 0)


def _create(files: dict[str, bytes], name: str = "Sample") -> DatasetVersion:
    return dataset_create(name=name, owner=None, files=upload_files(files), enqueue=False)


def _add(previous: DatasetVersion, files: dict[str, bytes]) -> DatasetVersion:
    return version_create(dataset=previous.dataset, created_by=None, files=upload_files(files), enqueue=False)


def _process(version: DatasetVersion) -> DatasetVersion:
    return version_process(version_id=str(version.pk))


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def _collections(version: DatasetVersion | str) -> dict[str, int]:
    return version_document_counts(version=version if isinstance(version, str) else version.records_key)


def _current(version: DatasetVersion) -> int | None:
    current = Dataset.objects.get(pk=version.dataset_id).current_version
    return current.number if current else None


def test_processing_the_sample_persists_what_the_spec_keeps_in_the_version_s_collections(sample_files):
    version = _process(_create(sample_files))

    assert version.status == VersionStatus.DONE
    assert version.percent == 100
    assert version.records_kept
    counts = _collections(version)
    assert {kind: counts[kind] for kind in ("namespaces", "datapoints", "columns", "anomalies")} == {
        "namespaces": 3,
        "datapoints": 5,
        "columns": 7,
        "anomalies": 10,
    }
    assert counts["browse_nodes"] > 0
    assert _current(version) == 1
    summary = json.loads(_read(version.summary_json))
    assert summary["status"] == "done"
    assert summary["anomalies_total"] == 10
    assert {file: part["rows_persisted"] for file, part in summary["files"].items()} == {
        file: counts[file] for file in ("namespaces", "datapoints", "columns")
    }
    rows = list(csv.DictReader(io.StringIO(_read(version.anomalies_csv).decode())))
    assert [row["file"] for row in rows] == sorted(
        (row["file"] for row in rows), key=["namespaces", "datapoints", "columns"].index
    )
    # keys come from ids only, whatever the uploaded file was called
    prefix = f"datasets/{version.dataset_id}/versions/{version.pk}/"
    assert version.columns.name == prefix + "uploads/columns.csv"
    assert version.summary_json.name == prefix + "reports/summary.json"


def test_a_crash_while_persisting_drops_what_was_written_and_fails_readably(sample_files, monkeypatch):
    real_persist = processing.records_persist

    def persist_then_crash(**kwargs):
        real_persist(**kwargs)
        raise ConnectionError("MongoDB went away")

    monkeypatch.setattr(processing, "records_persist", persist_then_crash)

    version = _process(_create(sample_files))

    assert version.status == VersionStatus.FAILED
    assert not version.records_kept
    assert "MongoDB went away" in version.error
    assert "Nothing was saved" in version.error
    assert _collections(version) == NOTHING
    assert _current(version) is None
    summary = json.loads(_read(version.summary_json))
    assert summary["status"] == "failed"
    assert summary["error"] == version.error
    assert summary["files"]["columns"] == {**summary["files"]["columns"], "rows_persisted": 0, "rows_rejected": 9}
    # a failure on the server side is worth a retry: the files are not at fault
    assert version.may_retry
    assert not version.failed_by_its_files


def test_an_empty_file_fails_the_version_keeps_its_anomalies_and_the_uploads(sample_files):
    version = _process(_create({**sample_files, "datapoints": b""}))

    assert version.status == VersionStatus.FAILED
    assert "datapoints" in version.error
    counts = _collections(version)
    assert counts["namespaces"] == counts["datapoints"] == counts["columns"] == 0
    assert counts["anomalies"] > 0  # its anomaly pages still work
    assert "datapoints,,,file-empty,error" in _read(version.anomalies_csv).decode()
    assert _read(version.namespaces) == sample_files["namespaces"]  # nothing the user sent is lost
    # and since the file itself is at fault, processing it again cannot help
    assert version.failed_by_its_files
    assert not version.may_retry


def test_a_new_version_carries_the_other_files_over_and_becomes_current_only_when_done(sample_files):
    v1 = _process(_create(sample_files))
    columns = sample_files["columns"].replace(b"tr_1y", b"tr_one_year")

    v2 = _add(v1, {"columns": columns})

    assert v2.number == 2
    assert v2.replaced_files == ["columns"]
    assert v2.namespaces.name == v1.namespaces.name
    assert v2.datapoints.name == v1.datapoints.name
    assert v2.columns.name != v1.columns.name
    assert _read(v2.columns) == columns
    assert _current(v2) == 1  # queued: the pages still show version 1
    with pytest.raises(VersionInProgress):
        _add(v1, {"columns": columns})

    v2 = _process(v2)

    assert v2.status == VersionStatus.DONE
    assert _current(v2) == 2
    assert v2.compared_to_id == v1.pk
    changes = json.loads(_read(v2.diff_json))
    columns_section = next(section for section in changes["records"] if section["file"] == "columns")
    assert columns_section["counts"]["moved"] >= 1
    assert any(row["after"] == "tr_one_year" for row in columns_section["rows"])
    assert b"tr_one_year" in _read(v2.diff_csv)


def test_a_failed_version_never_replaces_the_current_one(sample_files):
    v1 = _process(_create(sample_files))

    v2 = _process(_add(v1, {"columns": b"column_id,namespace_id\nC1,N1\n"}))

    assert v2.status == VersionStatus.FAILED
    assert _current(v2) == 1
    assert _collections(v1)["columns"] == 7  # the current version is untouched
    assert _collections(v2)["anomalies"] > 0
    assert v2.anomalies_csv


def test_retention_drops_the_records_of_older_versions_but_keeps_their_reports(sample_files, settings):
    settings.VERSIONS_KEEP_RECORDS = 1
    v1 = _process(_create(sample_files))

    v2 = _process(_add(v1, {"columns": sample_files["columns"]}))

    v1.refresh_from_db()
    assert _current(v2) == 2
    assert not v1.records_kept
    assert v2.records_kept
    assert _collections(v1) == NOTHING
    assert _collections(v2)["columns"] == 7
    assert default_storage.exists(v1.anomalies_csv.name)
    assert default_storage.exists(v1.summary_json.name)


def test_processing_a_failed_version_again_starts_from_empty_collections_in_place(
    sample_files, broker, django_capture_on_commit_callbacks
):
    version = _process(_create(sample_files))
    DatasetVersion.objects.filter(pk=version.pk).update(status=VersionStatus.FAILED)
    Dataset.objects.filter(pk=version.dataset_id).update(current_version=None)  # a failed one is never current

    with django_capture_on_commit_callbacks(execute=True):
        queued = version_process_again(version=version, requested_by=None)

    version.refresh_from_db()
    assert queued.pk == version.pk
    assert version.status == VersionStatus.QUEUED
    assert version.percent == 0
    assert broker.sent == [("uploads.tasks.version_process_task", [str(version.pk)])]
    version = version_process(version_id=broker.sent[0][1][0])
    assert version.status == VersionStatus.DONE
    assert _collections(version)["columns"] == 7


def test_processing_an_older_version_again_does_not_take_the_current_place(sample_files):
    v1 = _process(_create(sample_files))
    v2 = _process(_add(v1, {"columns": sample_files["columns"]}))

    _process(v1)

    assert _current(v2) == 2


def test_deleting_a_version_drops_its_collections_and_only_the_files_no_other_version_uses(sample_files):
    v1 = _process(_create(sample_files))
    v2 = _process(_add(v1, {"columns": sample_files["columns"]}))
    v1.refresh_from_db()
    v1_id, v1_key = v1.pk, v1.records_key
    own, shared = [v1.columns.name, v1.summary_json.name], v1.namespaces.name

    with pytest.raises(ValueError, match="the current version cannot be deleted"):
        version_delete(version=v2)  # the current one
    version_delete(version=v1)

    assert not DatasetVersion.objects.filter(pk=v1_id).exists()
    assert _collections(v1_key) == NOTHING
    assert not any(default_storage.exists(name) for name in own)
    assert default_storage.exists(shared)
    assert shared == v2.namespaces.name
    assert _read(v2.namespaces) == sample_files["namespaces"]


def test_deleting_a_dataset_drops_every_version_and_removes_every_file(sample_files):
    v1 = _process(_create(sample_files))
    v2 = _process(_add(v1, {"columns": sample_files["columns"]}))
    names = [f.name for v in (v1, v2) for f in (v.namespaces, v.columns, v.anomalies_csv, v.diff_json) if f]
    keys = [v1.records_key, v2.records_key]

    dataset_delete(dataset=Dataset.objects.get(pk=v1.dataset_id))

    assert not Dataset.objects.filter(pk=v1.dataset_id).exists()
    assert [_collections(key) for key in keys] == [NOTHING, NOTHING]
    assert len(names) == 7
    assert not any(default_storage.exists(name) for name in names)


def test_a_delete_request_marks_the_dataset_and_queues_the_deletion(
    sample_files, broker, django_capture_on_commit_callbacks
):
    version = _process(_create(sample_files))

    with django_capture_on_commit_callbacks(execute=True):
        dataset_delete_request(dataset=version.dataset)

    assert Dataset.objects.get(pk=version.dataset_id).deleting
    assert broker.sent == [("uploads.tasks.dataset_delete_task", [str(version.dataset_id)])]


def test_the_task_runs_the_job_once_under_its_lease(sample_files, broker, django_capture_on_commit_callbacks):
    from uploads.tasks import version_process_task

    with django_capture_on_commit_callbacks(execute=True):
        version = dataset_create(name="Queued", owner=None, files=upload_files(sample_files))
    [(_, args)] = broker.sent

    first = version_process_task.apply(args=args).get()
    duplicate = version_process_task.apply(args=args).get()

    assert (first, duplicate) == ("completed", "skipped")
    version.refresh_from_db()
    assert version.status == VersionStatus.DONE
    assert _collections(version)["columns"] == 7
