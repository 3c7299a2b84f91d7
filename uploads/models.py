"""A Dataset is a named catalog; each upload of its files is a DatasetVersion, the processing job.

The pages show the dataset's `current_version`; a version that ends `done` replaces it in one
UPDATE, so no page ever shows a mix of two runs. Files are `FileField`s whose keys are built
from ids only (`VERSION_FILES`, `VersionFilePath`): no user-supplied name reaches storage.
"""

import uuid
from typing import NamedTuple

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models
from django.utils.deconstruct import deconstructible

from contract import FILE_LEVEL_ERRORS, FILES, SEVERITY, STAGE_LABELS, Code, Stage


class VersionStatus(models.TextChoices):
    QUEUED = "queued"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


# The engine's stages, labelled with what people read on the pages.
VersionStage = models.TextChoices("VersionStage", [(stage.name, (stage.value, STAGE_LABELS[stage])) for stage in Stage])


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
    # Counts the triage decisions (accepting, undoing): the current version's anomaly pages are
    # rebuilt up to it by a job (`uploads.status_pages`).
    triage_revision = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


# Every stored file of a version is under `datasets/<dataset id>/versions/<version id>/`
# (the orphan sweep, `uploads.orphans`, walks this layout).
STORAGE_ROOT = "datasets"


class StoredFile(NamedTuple):
    folder: str  # under the version's prefix: "uploads" (what was sent, its line index) or "reports"
    name: str
    content_type: str = "application/octet-stream"


# Every file a version keeps, by its FileField: the one table the keys, the downloads and their URLs read.
VERSION_FILES: dict[str, StoredFile] = {
    **{file: StoredFile("uploads", f"{file}.csv", "text/csv") for file in FILES},
    # the sampled line index of each upload (`sourcelines.lines`)
    **{f"{file}_lines": StoredFile("uploads", f"{file}.lines.npz") for file in FILES},
    "anomalies_csv": StoredFile("reports", "anomalies.csv", "text/csv; charset=utf-8"),
    "summary_json": StoredFile("reports", "summary.json", "application/json"),
    "diff_json": StoredFile("reports", "changes.json", "application/json"),
    "diff_csv": StoredFile("reports", "changes.csv", "text/csv; charset=utf-8"),
}


@deconstructible
class VersionFilePath:
    """The `upload_to` of every FileField of a version: a key built from ids and `VERSION_FILES`,
    whatever name the file came with. Writing a file again replaces it (the storage overwrites)."""

    def __init__(self, field: str):
        self.field = field

    def __call__(self, instance: "DatasetVersion", filename: str) -> str:
        stored = VERSION_FILES[self.field]
        return f"{STORAGE_ROOT}/{instance.dataset_id}/versions/{instance.id}/{stored.folder}/{stored.name}"

    def __eq__(self, other) -> bool:
        return isinstance(other, VersionFilePath) and other.field == self.field

    def __hash__(self) -> int:
        return hash(self.field)


def _file_field(name: str, **options) -> models.FileField:
    return models.FileField(upload_to=VersionFilePath(name), max_length=500, **options)


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

    namespaces = _file_field("namespaces")
    datapoints = _file_field("datapoints")
    columns = _file_field("columns")
    # The sampled line index of each upload (`sourcelines.lines`), built by this version's processing,
    # so its source-line view reads only the byte ranges it shows.
    namespaces_lines = _file_field("namespaces_lines", blank=True)
    datapoints_lines = _file_field("datapoints_lines", blank=True)
    columns_lines = _file_field("columns_lines", blank=True)
    anomalies_csv = _file_field("anomalies_csv", blank=True)
    summary_json = _file_field("summary_json", blank=True)
    # What changed against the version that was current when this one was processed.
    diff_json = _file_field("diff_json", blank=True)
    diff_csv = _file_field("diff_csv", blank=True)
    compared_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The dataset's triage revision the anomalies' statuses on its pages reflect, and whether those
    # pages were rebuilt after processing (`uploads.status_pages`) rather than written with it.
    statuses_revision = models.PositiveIntegerField(default=0)
    statuses_rebuilt = models.BooleanField(default=False)
    # The day they were given: an acceptance whose `until` day has passed since no longer holds
    # (`uploads.triage.triage_lapses_follow`).
    statuses_on = models.DateField(null=True, blank=True)

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

    def file_write(self, field: str, content: bytes) -> None:
        """Stores `content` as this version's file `field` (not saved to the database yet)."""
        getattr(self, field).save(VERSION_FILES[field].name, ContentFile(content), save=False)

    @property
    def records_key(self) -> str:
        """Names this version's MongoDB collections."""
        return self.id.hex

    @property
    def status_pages(self) -> int:
        """Which anomaly pages its pages read (`catalog.selectors`): 0 for those written with the
        version, else the triage revision they were rebuilt at."""
        return self.statuses_revision if self.statuses_rebuilt else 0

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
    them (`scope` group: file, code, field and value, whichever record; `contract.anomaly_group_fingerprint`),
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
