"""The dataset job's services, run in this process against FerretDB and local storage."""

import csv
import io
import json

import pytest
from django.core.files.base import ContentFile

from catalog.documents import AnomalyDocument, ColumnDocument, DataPointDocument, NamespaceDocument
from reports.storage import storage_exists, storage_read
from uploads import services
from uploads.models import Dataset, DatasetStatus
from uploads.services import dataset_create, dataset_delete, dataset_process, dataset_retry

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

DOCUMENTS = (NamespaceDocument, DataPointDocument, ColumnDocument, AnomalyDocument)


def _create(files: dict[str, bytes], name: str = "Sample") -> Dataset:
    return dataset_create(
        name=name,
        owner=None,
        enqueue=False,
        **{f"{file}_file": ContentFile(content, name=f"{file}.csv") for file, content in files.items()},
    )


def _document_counts(dataset: Dataset) -> dict[str, int]:
    return {cls.__name__: cls.objects(dataset_id=str(dataset.pk)).count() for cls in DOCUMENTS}


def test_processing_the_sample_persists_what_the_spec_keeps(sample_files):
    dataset = _create(sample_files)

    dataset = dataset_process(dataset_id=str(dataset.pk))

    assert dataset.status == DatasetStatus.DONE and dataset.percent == 100
    assert _document_counts(dataset) == {
        "NamespaceDocument": 3,
        "DataPointDocument": 5,
        "ColumnDocument": 7,
        "AnomalyDocument": 10,
    }
    dp3 = DataPointDocument.objects.get(id=f"{dataset.pk}:DP3")
    assert dp3.data_type == "decimal" and dp3.is_derived == "maybe" and dp3.line == 4
    assert dp3.data_point_definition == "Tonnes CO2e per USD million of revenue.\nWeighted by holding."
    summary = json.loads(storage_read(key=dataset.summary_json_key))
    assert summary["status"] == "done" and summary["anomalies_total"] == 10
    assert summary["files"]["columns"]["rows_read"] == 10
    rows = list(csv.DictReader(io.StringIO(storage_read(key=dataset.anomalies_csv_key).decode())))
    assert [row["file"] for row in rows] == sorted(
        (row["file"] for row in rows), key=["namespaces", "datapoints", "columns"].index
    )


def test_a_crash_while_persisting_leaves_no_partial_data_and_a_readable_failure(sample_files, monkeypatch):
    real_persist = services.records_persist

    def persist_then_crash(**kwargs):
        real_persist(**kwargs)
        raise ConnectionError("MongoDB went away")

    monkeypatch.setattr(services, "records_persist", persist_then_crash)
    dataset = _create(sample_files)

    dataset = dataset_process(dataset_id=str(dataset.pk))

    assert dataset.status == DatasetStatus.FAILED
    assert "MongoDB went away" in dataset.error and "Nothing was saved" in dataset.error
    assert _document_counts(dataset) == dict.fromkeys(_document_counts(dataset), 0)
    summary = json.loads(storage_read(key=dataset.summary_json_key))
    assert summary["status"] == "failed" and summary["error"] == dataset.error
    assert summary["files"]["columns"] == {**summary["files"]["columns"], "rows_persisted": 0, "rows_rejected": 9}
    # a failure on the server side is worth a retry: the files are not at fault
    assert dataset.may_retry and not dataset.failed_by_its_files


def test_an_empty_file_fails_the_dataset_and_persists_nothing(sample_files):
    dataset = _create({**sample_files, "datapoints": b""})

    dataset = dataset_process(dataset_id=str(dataset.pk))

    assert dataset.status == DatasetStatus.FAILED and "datapoints" in dataset.error
    counts = _document_counts(dataset)
    assert counts["NamespaceDocument"] == counts["DataPointDocument"] == counts["ColumnDocument"] == 0
    report = storage_read(key=dataset.anomalies_csv_key).decode()
    assert "datapoints,,,file-empty,error" in report
    # the uploads are kept, so nothing the user sent is lost
    assert storage_read(key=dataset.namespaces_key) == sample_files["namespaces"]
    # and since the file itself is at fault, processing it again cannot help
    assert dataset.failed_by_its_files and not dataset.may_retry


def test_delete_removes_documents_files_and_the_job(sample_files):
    dataset = dataset_process(dataset_id=str(_create(sample_files).pk))
    keys = [dataset.columns_key, dataset.anomalies_csv_key, dataset.summary_json_key]

    dataset_delete(dataset=dataset)

    assert not Dataset.objects.filter(pk=dataset.pk).exists()
    assert _document_counts(dataset) == dict.fromkeys(_document_counts(dataset), 0)
    assert not any(storage_exists(key=key) for key in keys)


def test_retry_queues_the_job_and_processing_again_does_not_double_documents(
    sample_files, monkeypatch, django_capture_on_commit_callbacks
):
    dataset = dataset_process(dataset_id=str(_create(sample_files).pk))
    queued = []
    monkeypatch.setattr("uploads.tasks.dataset_process_task.delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        dataset_retry(dataset=dataset)

    dataset.refresh_from_db()
    assert dataset.status == DatasetStatus.QUEUED and dataset.percent == 0
    assert queued == [str(dataset.pk)]
    dataset = dataset_process(dataset_id=queued[0])
    assert dataset.status == DatasetStatus.DONE
    assert _document_counts(dataset)["ColumnDocument"] == 7


def test_a_delete_request_marks_the_dataset_and_queues_the_deletion(
    sample_files, monkeypatch, django_capture_on_commit_callbacks
):
    dataset = dataset_process(dataset_id=str(_create(sample_files).pk))
    queued = []
    monkeypatch.setattr("uploads.tasks.dataset_delete_task.delay", queued.append)

    with django_capture_on_commit_callbacks(execute=True):
        services.dataset_delete_request(dataset=dataset)

    assert Dataset.objects.get(pk=dataset.pk).status == DatasetStatus.DELETING
    assert queued == [str(dataset.pk)]


def test_the_task_runs_the_service_and_returns_the_status(sample_files, settings):
    from uploads.tasks import dataset_process_task

    settings.CELERY_TASK_ALWAYS_EAGER = True
    dataset = _create(sample_files)

    result = dataset_process_task.apply(args=[str(dataset.pk)])

    assert result.get() == "done"
