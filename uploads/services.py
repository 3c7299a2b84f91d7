"""Services of the Dataset job: create from an upload, process, fail, retry, delete."""

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from pymongo.errors import ConnectionFailure, ServerSelectionTimeoutError

from catalog.persistence import (
    anomalies_persist,
    browse_index_persist,
    dataset_documents_delete,
    records_persist,
)
from engine import FILES, Limits, PipelineResult, Vocabularies, pipeline_run
from reports.services import report_write
from reports.storage import storage_delete_dataset, storage_read, storage_save, upload_key
from uploads.models import Dataset, DatasetStage, DatasetStatus

logger = logging.getLogger(__name__)

# Progress is written at most this often, so a large file does not hammer the database.
PROGRESS_INTERVAL_SECONDS = 0.5
# Where each stage starts and ends on the overall progress bar.
STAGE_SPANS = {
    DatasetStage.READING: (0, 20),
    DatasetStage.CHECKING: (20, 45),
    DatasetStage.PERSISTING: (45, 95),
    DatasetStage.REPORTING: (95, 100),
}


def _enqueue(dataset_id: str) -> None:
    from uploads.tasks import dataset_process_task

    transaction.on_commit(lambda: dataset_process_task.delay(dataset_id))


@transaction.atomic
def dataset_create(
    *,
    name: str,
    owner,
    namespaces_file: UploadedFile,
    datapoints_file: UploadedFile,
    columns_file: UploadedFile,
    enqueue: bool = True,
) -> Dataset:
    """Saves the three uploads to storage and queues the processing; never parses the CSVs."""
    dataset = Dataset(name=name, owner=owner)
    uploads = {"namespaces": namespaces_file, "datapoints": datapoints_file, "columns": columns_file}
    for file, upload in uploads.items():
        key = storage_save(key=upload_key(dataset_id=str(dataset.id), file=file), content=upload)
        setattr(dataset, f"{file}_key", key)
    dataset.save()
    if enqueue:
        _enqueue(str(dataset.id))
    return dataset


def dataset_retry(*, dataset: Dataset) -> Dataset:
    """Queues a finished dataset to be processed again from its stored uploads.

    Its old documents are removed by the worker (see `dataset_process`), not in the request."""
    with transaction.atomic():
        _dataset_update(
            dataset,
            status=DatasetStatus.QUEUED,
            stage=DatasetStage.QUEUED,
            percent=0,
            error="",
            counts={},
            anomalies_total=0,
            finished_at=None,
        )
        _enqueue(str(dataset.id))
    return dataset


def dataset_delete_request(*, dataset: Dataset) -> None:
    """Marks the dataset as being deleted and leaves the slow part (documents, files) to a worker."""
    from uploads.tasks import dataset_delete_task

    with transaction.atomic():
        _dataset_update(dataset, status=DatasetStatus.DELETING)
        dataset_id = str(dataset.id)
        transaction.on_commit(lambda: dataset_delete_task.delay(dataset_id))


def dataset_delete(*, dataset: Dataset) -> None:
    """Removes the dataset's documents, its files and the job itself."""
    dataset_id = str(dataset.id)
    dataset_documents_delete(dataset_id=dataset_id)
    storage_delete_dataset(
        dataset_id=dataset_id,
        keys=[
            dataset.namespaces_key,
            dataset.datapoints_key,
            dataset.columns_key,
            dataset.anomalies_csv_key,
            dataset.summary_json_key,
        ],
    )
    dataset.delete()


def _dataset_update(dataset: Dataset, **fields) -> None:
    for name, value in fields.items():
        setattr(dataset, name, value)
    Dataset.objects.filter(pk=dataset.pk).update(**fields)


def _progress_reporter(dataset: Dataset) -> Callable[[str, float], None]:
    last = {"at": 0.0, "stage": None}

    def report(stage: str, fraction: float) -> None:
        now = time.monotonic()
        if stage == last["stage"] and now - last["at"] < PROGRESS_INTERVAL_SECONDS and fraction < 1:
            return
        start, end = STAGE_SPANS[DatasetStage(stage)]
        percent = int(start + (end - start) * max(0.0, min(1.0, fraction)))
        last.update(at=now, stage=stage)
        _dataset_update(dataset, stage=stage, percent=max(percent, dataset.percent))

    return report


def _vocabularies() -> Vocabularies:
    return Vocabularies.from_settings(settings.DATASET_VOCABULARIES)


def _file_counts(result: PipelineResult) -> dict:
    per_code = result.anomalies.groupby(["file", "code"]).size()
    return {
        file: {
            "rows_read": part.rows_read,
            "rows_persisted": part.rows_persisted,
            "rows_rejected": part.rows_rejected,
            "rows_duplicate": part.rows_duplicate,
            "anomalies": {code: int(count) for (f, code), count in per_code.items() if f == file},
        }
        for file, part in result.files.items()
    }


def _readable(exc: Exception) -> str:
    if isinstance(exc, (ServerSelectionTimeoutError, ConnectionFailure)):
        return "MongoDB could not be reached"
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _nothing_persisted(result: PipelineResult) -> PipelineResult:
    """The counts of a dataset whose records were all withdrawn, as the spec counts a failed one."""
    files = {
        file: replace(part, rows_persisted=0, rows_rejected=part.rows_read - part.rows_duplicate)
        for file, part in result.files.items()
    }
    return replace(result, files=files)


def dataset_process(*, dataset_id: str) -> Dataset:
    """Runs the whole spec on a dataset: read, check, persist, report.

    Any failure leaves the dataset `failed` with a readable message, no documents in MongoDB,
    and (whenever the uploads could be read) both reports in storage.
    """
    dataset = Dataset.objects.get(pk=dataset_id)
    if dataset.started_at is not None:
        # Processed or attempted before (a retry, or a task redelivered after a worker died):
        # start from no documents, so nothing is doubled and nothing partial stays.
        dataset_documents_delete(dataset_id=dataset_id)
    started_at = timezone.now()
    _dataset_update(
        dataset,
        status=DatasetStatus.PROCESSING,
        stage=DatasetStage.READING,
        percent=0,
        error="",
        started_at=started_at,
        finished_at=None,
    )
    progress = _progress_reporter(dataset)
    result: PipelineResult | None = None
    try:
        uploads = {file: storage_read(key=dataset.upload_key(file)) for file in FILES}
        result = pipeline_run(
            files=uploads,
            vocabularies=_vocabularies(),
            limits=Limits.from_settings(settings.DATASET_LIMITS),
            progress=lambda s, p: progress(s, p / 100),
        )
        _dataset_update(dataset, counts=_file_counts(result), anomalies_total=len(result.anomalies))
        records = {file: part.records for file, part in result.files.items()}
        progress(DatasetStage.PERSISTING, 0)
        if not result.failed:
            # The records take about as long to write as the browse index built from them.
            records_persist(
                dataset_id=dataset_id,
                records=records,
                progress=lambda done, total: progress(DatasetStage.PERSISTING, 0.5 * done / max(total, 1)),
            )
        anomalies_persist(dataset_id=dataset_id, anomalies=result.anomalies)
        browse_index_persist(
            dataset_id=dataset_id,
            records=records,
            anomalies=result.anomalies,
            progress=lambda fraction: progress(DatasetStage.PERSISTING, 0.5 + 0.5 * fraction),
        )
        progress(DatasetStage.REPORTING, 0)
        status = DatasetStatus.FAILED if result.failed else DatasetStatus.DONE
        error = result.error or ""
    except Exception as exc:
        logger.exception("dataset %s failed", dataset_id)
        status = DatasetStatus.FAILED
        error = f"Processing stopped unexpectedly ({_readable(exc)}). Nothing was saved; retry the dataset."
        if result is not None:
            result = _nothing_persisted(result)
            _dataset_update(dataset, counts=_file_counts(result))
        try:
            dataset_documents_delete(dataset_id=dataset_id)
        except Exception:
            logger.exception("documents of dataset %s could not be removed", dataset_id)
            error = (
                f"Processing stopped unexpectedly ({_readable(exc)}), and what was already "
                "saved could not be removed; retry the dataset once the database is back."
            )
    finished_at = timezone.now()
    fields = {
        "status": status,
        "error": error,
        "stage": DatasetStage.FINISHED,
        "percent": 100,
        "finished_at": finished_at,
    }
    try:
        csv_key, summary_key, _ = report_write(
            dataset_id=dataset_id,
            name=dataset.name,
            status=str(status),
            error=error or None,
            result=result,
            started_at=started_at,
            finished_at=finished_at,
        )
        fields.update(anomalies_csv_key=csv_key, summary_json_key=summary_key)
    except Exception as exc:
        logger.exception("reports of dataset %s could not be written", dataset_id)
        fields.update(status=DatasetStatus.FAILED, error=f"{error} The reports could not be written ({exc}).".strip())
    _dataset_update(dataset, **fields)
    return dataset


def dataset_fail(*, dataset_id: str, error: str) -> None:
    """Marks a dataset failed when its task could not run at all."""
    Dataset.objects.filter(pk=dataset_id).update(
        status=DatasetStatus.FAILED, stage=DatasetStage.FINISHED, error=error, finished_at=timezone.now()
    )
