"""A Dataset is a named catalog; each upload of its files is a DatasetVersion, the processing job.

The pages show the dataset's `current_version`; a version that ends `done` replaces it in one
UPDATE, so no page ever shows a mix of two runs. Files are `FileField`s whose keys are built
from ids only (`*_upload_to` below): no user-supplied name reaches storage.
"""

import uuid

from django.conf import settings
from django.db import models

from engine import FILES, SEVERITY, Code
from engine.codes import FILE_LEVEL_ERRORS


class VersionStatus(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class VersionStage(models.TextChoices):
    # The labels are what people read on the pages.
    QUEUED = "queued", "Waiting in the queue"
    READING = "reading", "Reading the files"
    CHECKING = "checking", "Checking the records"
    PERSISTING = "persisting", "Saving the records"
    INDEXING = "indexing", "Building the browse and search pages"
    COMPARING = "comparing", "Comparing with the current version"
    REPORTING = "reporting", "Writing the reports"
    FINISHED = "finished", "Finished"


class Dataset(models.Model):
    # A UUID keeps ids unguessable in URLs.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    # Empty for datasets ingested from the command line.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="datasets"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What every page shows; set only by `version_publish`, in one UPDATE.
    current_version = models.ForeignKey(
        "DatasetVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when a delete is requested; the worker removes collections, files and rows.
    deleting = models.BooleanField(default=False)
    # Why the last delete stopped before the end (shown on the pages until the delete is asked again).
    delete_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


# Every stored file of a version is under `datasets/<dataset id>/versions/<version id>/`
# (the orphan sweep, `uploads.orphans`, walks this layout).
STORAGE_ROOT = "datasets"


def _version_prefix(version: "DatasetVersion") -> str:
    return f"{STORAGE_ROOT}/{version.dataset_id}/versions/{version.id}"


def namespaces_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/uploads/namespaces.csv"


def datapoints_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/uploads/datapoints.csv"


def columns_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/uploads/columns.csv"


def line_index_upload_to(instance: "DatasetVersion", filename: str) -> str:
    # `filename` is one this code gives (see `DatasetVersion.line_index_field`), never a user's.
    return f"{_version_prefix(instance)}/uploads/{filename}"


def anomalies_csv_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/reports/anomalies.csv"


def summary_json_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/reports/summary.json"


def diff_json_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/reports/changes.json"


def diff_csv_upload_to(instance: "DatasetVersion", filename: str) -> str:
    return f"{_version_prefix(instance)}/reports/changes.csv"


class DatasetVersion(models.Model):
    """One upload of the three files and the state of its processing (the job)."""

    # The hex of this id names the version's MongoDB collections (see `catalog.mongo`).
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    status = models.CharField(max_length=20, choices=VersionStatus.choices, default=VersionStatus.QUEUED)
    stage = models.CharField(max_length=20, choices=VersionStage.choices, default=VersionStage.QUEUED)
    percent = models.PositiveSmallIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    anomalies_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Units of work done and to do in the current stage (records saved, index entries written).
    progress_done = models.PositiveBigIntegerField(default=0)
    progress_total = models.PositiveBigIntegerField(default=0)
    # Per file: the uploaded file's name and size, then how it was written (delimiter, encoding, line ends).
    sources = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Whether the version's MongoDB collections exist (retention drops those of older versions).
    records_kept = models.BooleanField(default=False)
    # Which files this upload replaced; the others were carried over from the version before.
    replaced_files = models.JSONField(default=list, blank=True)

    namespaces = models.FileField(upload_to=namespaces_upload_to, max_length=500)
    datapoints = models.FileField(upload_to=datapoints_upload_to, max_length=500)
    columns = models.FileField(upload_to=columns_upload_to, max_length=500)
    # The sampled line index of each upload (`engine.lines`), built by this version's processing,
    # so its source-line view reads only the byte ranges it shows.
    namespaces_lines = models.FileField(upload_to=line_index_upload_to, max_length=500, blank=True)
    datapoints_lines = models.FileField(upload_to=line_index_upload_to, max_length=500, blank=True)
    columns_lines = models.FileField(upload_to=line_index_upload_to, max_length=500, blank=True)
    anomalies_csv = models.FileField(upload_to=anomalies_csv_upload_to, max_length=500, blank=True)
    summary_json = models.FileField(upload_to=summary_json_upload_to, max_length=500, blank=True)
    # What changed against the version that was current when this one was processed.
    diff_json = models.FileField(upload_to=diff_json_upload_to, max_length=500, blank=True)
    diff_csv = models.FileField(upload_to=diff_csv_upload_to, max_length=500, blank=True)
    compared_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="version_number_unique")]

    def __str__(self) -> str:
        return f"{self.dataset_id} v{self.number} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (VersionStatus.DONE, VersionStatus.FAILED)

    @property
    def failed_by_its_files(self) -> bool:
        """Failed because of an error at file level in the data: processing it again cannot help."""
        return self.status == VersionStatus.FAILED and any(
            (file_counts.get("anomalies") or {}).get(code.value)
            for file_counts in (self.counts or {}).values()
            for code in FILE_LEVEL_ERRORS
        )

    @property
    def may_retry(self) -> bool:
        """A retry helps only after an infrastructure failure (database, storage, a worker lost)."""
        return self.status == VersionStatus.FAILED and not self.failed_by_its_files

    @staticmethod
    def line_index_field(file: str) -> str:
        """The name of the FileField holding the line index of upload `file`."""
        if file not in FILES:
            raise ValueError(f"unknown upload file {file!r}")
        return f"{file}_lines"

    @property
    def records_key(self) -> str:
        """Names this version's MongoDB collections."""
        return self.id.hex

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


class AcceptanceScope(models.TextChoices):
    ANOMALY = "anomaly", "one anomaly"
    GROUP = "group", "a group"


class AnomalyAcceptance(models.Model):
    """A person's decision to live with an anomaly (`scope` anomaly: its fingerprint) or a group of
    them (`scope` group: file, code, field and value, whichever record; `engine.anomaly_group_fingerprint`),
    kept per dataset so that every later version's anomaly with the same fingerprint is `accepted`
    (`uploads.anomaly_status`). File, code, field and value are kept to show what was accepted."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="acceptances")
    fingerprint = models.CharField(max_length=40)
    scope = models.CharField(max_length=10, choices=AcceptanceScope.choices)
    file = models.CharField(max_length=20)
    code = models.CharField(max_length=40)
    field = models.CharField(max_length=200, blank=True)
    value = models.CharField(max_length=200, blank=True)
    note = models.TextField(blank=True)
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    accepted_at = models.DateTimeField(auto_now_add=True)
    until = models.DateField(null=True, blank=True)  # the decision lapses after this day

    class Meta:
        constraints = [models.UniqueConstraint(fields=["dataset", "fingerprint"], name="acceptance_unique")]
        ordering = ["-accepted_at"]

    def __str__(self) -> str:
        return f"{self.code} {self.file}.{self.field} ({self.scope})"
