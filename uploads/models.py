"""The Dataset job: one upload of three files and the state of its processing."""

import uuid

from django.conf import settings
from django.db import models

from engine import SEVERITY, Code
from engine.codes import FILE_LEVEL_ERRORS


class DatasetStatus(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    DELETING = "deleting"


class DatasetStage(models.TextChoices):
    # The labels are what people read on the pages.
    QUEUED = "queued", "Waiting in the queue"
    READING = "reading", "Reading the files"
    CHECKING = "checking", "Checking the records"
    PERSISTING = "persisting", "Saving the records"
    INDEXING = "indexing", "Building the browse and search pages"
    REPORTING = "reporting", "Writing the reports"
    FINISHED = "finished", "Finished"


class Dataset(models.Model):
    # A UUID keeps ids unguessable in URLs and is the `dataset_id` of every MongoDB document.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    # Empty for datasets ingested from the command line.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )

    status = models.CharField(max_length=20, choices=DatasetStatus.choices, default=DatasetStatus.QUEUED)
    stage = models.CharField(max_length=20, choices=DatasetStage.choices, default=DatasetStage.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    anomalies_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Units of work done and to do in the current stage (records saved, index entries written).
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    # Per file: the uploaded file's name and size, then how it was written (delimiter, encoding, line ends).
    sources = models.JSONField(default=dict, blank=True)

    namespaces_key = models.CharField(max_length=500)
    datapoints_key = models.CharField(max_length=500)
    columns_key = models.CharField(max_length=500)
    anomalies_csv_key = models.CharField(max_length=500, blank=True)
    summary_json_key = models.CharField(max_length=500, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (DatasetStatus.DONE, DatasetStatus.FAILED)

    @property
    def failed_by_its_files(self) -> bool:
        """Failed because of an error at file level in the data: processing it again cannot help."""
        return self.status == DatasetStatus.FAILED and any(
            (file_counts.get("anomalies") or {}).get(code.value)
            for file_counts in (self.counts or {}).values()
            for code in FILE_LEVEL_ERRORS
        )

    @property
    def may_retry(self) -> bool:
        """A retry helps only after an infrastructure failure (database, storage, a worker lost)."""
        return self.status == DatasetStatus.FAILED and not self.failed_by_its_files

    def upload_key(self, file: str) -> str:
        return getattr(self, f"{file}_key")

    def anomaly_counts(self) -> list[dict]:
        """Anomalies per code over the three files, in the spec's order, codes with none left out."""
        totals: dict[str, int] = {}
        for file_counts in (self.counts or {}).values():
            for code, count in (file_counts.get("anomalies") or {}).items():
                totals[code] = totals.get(code, 0) + count
        return [
            {"code": code.value, "severity": SEVERITY[code].value, "count": totals[code.value]}
            for code in Code
            if totals.get(code.value)
        ]
