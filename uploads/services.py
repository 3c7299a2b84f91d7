"""Services of a dataset's life: create, add a version, publish, keep, retry, delete.

The processing job itself is `uploads.processing.version_process`.
"""

import logging
import os

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q

from catalog.persistence import version_documents_drop
from engine import FILES
from jobs.services import job_enqueue, job_heartbeat
from uploads.models import Dataset, DatasetVersion, VersionStage, VersionStatus

logger = logging.getLogger(__name__)

# The FileFields of a version that are its own reports (never shared with another version).
REPORT_FIELDS = ("anomalies_csv", "summary_json", "diff_json", "diff_csv")


# The two jobs, as the `jobs` app knows them (registered in `uploads/apps.py`).
VERSION_JOB = "version.process"
DELETE_JOB = "dataset.delete"


class VersionInProgress(Exception):
    """A dataset processes one version at a time, so that each compares with a settled one."""


def _enqueue(version: DatasetVersion) -> None:
    # The job and its message are saved with the version; the message leaves on commit, or
    # with the next sweep if the broker is down then.
    job_enqueue(kind=VERSION_JOB, object_id=str(version.pk))


def version_in_progress(*, dataset: Dataset) -> DatasetVersion | None:
    return dataset.versions.filter(status__in=(VersionStatus.QUEUED, VersionStatus.PROCESSING)).first()


@transaction.atomic
def dataset_create(*, name: str, owner, files: dict[str, File], enqueue: bool = True) -> DatasetVersion:
    """Creates the dataset and its version 1 from the three uploads; never parses the CSVs."""
    dataset = Dataset.objects.create(name=name, owner=owner)
    return version_create(dataset=dataset, created_by=owner, files=files, enqueue=enqueue)


@transaction.atomic
def version_create(
    *, dataset: Dataset, created_by, files: dict[str, File | None], enqueue: bool = True
) -> DatasetVersion:
    """Adds a version; a file left out is carried over from the latest version (the stored file
    is referenced, not copied). The current version stays what pages show until this one is done."""
    # Locks the dataset row, so two uploads at once cannot both pass the check or share a number.
    dataset = Dataset.objects.select_for_update().get(pk=dataset.pk)
    if version_in_progress(dataset=dataset) is not None:
        raise VersionInProgress("A version of this dataset is still being processed; wait for it to finish.")
    latest = dataset.versions.order_by("-number").first()
    replaced = [file for file in FILES if files.get(file) is not None]
    missing = [file for file in FILES if file not in replaced]
    if missing and latest is None:
        raise ValueError(f"the first version needs every file; missing: {', '.join(missing)}")
    version = DatasetVersion(
        dataset=dataset,
        number=(latest.number + 1) if latest else 1,
        created_by=created_by,
        replaced_files=replaced,
    )
    # What the steward uploaded (name and size), for the overview; the engine adds the dialect.
    version.sources = {
        file: {"name": files[file].name, "size": files[file].size}
        if file in replaced
        else {key: value for key, value in (latest.sources or {}).get(file, {}).items() if key in ("name", "size")}
        for file in FILES
    }
    for file in FILES:
        if file in replaced:
            getattr(version, file).save(f"{file}.csv", files[file], save=False)
        else:
            setattr(version, file, getattr(latest, file).name)
    version.save()
    if enqueue:
        _enqueue(version)
    return version


def version_reset(
    *, version: DatasetVersion, status: str = VersionStatus.QUEUED, stage: str = VersionStage.QUEUED, **fields
) -> None:
    """Clears what a run shows on the version (progress, error, end) and sets its status and stage:
    back in the queue unless told otherwise; `fields` are set too."""
    fields = {
        "status": status,
        "stage": stage,
        "percent": 0,
        "progress_done": 0,
        "progress_total": 0,
        "error": "",
        "finished_at": None,
        **fields,
    }
    DatasetVersion.objects.filter(pk=version.pk).update(**fields)
    for name, value in fields.items():
        setattr(version, name, value)


def version_records_withdraw(*, version: DatasetVersion) -> None:
    """Drops the version's collections and notes that it keeps no records."""
    version_documents_drop(version=version.records_key)
    DatasetVersion.objects.filter(pk=version.pk).update(records_kept=False)
    version.records_kept = False


def version_retry(*, version: DatasetVersion) -> DatasetVersion:
    """Queues a finished version to be processed again from its stored files.

    Its collections are dropped by the worker (see `version_process`), not in the request."""
    with transaction.atomic():
        version_reset(version=version, counts={}, anomalies_total=0)
        _enqueue(version)
    return version


def version_publish(*, version: DatasetVersion) -> bool:
    """Makes a done version current in one UPDATE, unless a newer version is current already
    (a re-run of an old version does not go back in time). Returns whether it was published."""
    newer_current = Q(current_version__number__gt=version.number)
    published = (
        Dataset.objects.filter(pk=version.dataset_id).exclude(newer_current).update(current_version=version) == 1
    )
    if published:
        try:
            versions_retain(dataset=Dataset.objects.get(pk=version.dataset_id))
        except Exception:
            # Publishing stands; the next publish drops what this one could not.
            logger.exception("retention after publishing version %s failed", version.pk)
    return published


def versions_retain(*, dataset: Dataset, keep: int | None = None) -> list[int]:
    """Drops the collections of all but the newest `keep` versions (`VERSIONS_KEEP_RECORDS`);
    the current version always keeps its own. Reports and diffs stay. Returns the numbers dropped."""
    keep = settings.VERSIONS_KEEP_RECORDS if keep is None else keep
    newest = list(dataset.versions.order_by("-number").values_list("pk", flat=True)[: max(keep, 0)])
    older = dataset.versions.filter(records_kept=True).exclude(pk__in=newest)
    if dataset.current_version_id:
        older = older.exclude(pk=dataset.current_version_id)
    dropped = []
    for version in older:
        version_records_withdraw(version=version)
        dropped.append(version.number)
    return dropped


def _files_delete(version: DatasetVersion) -> None:
    """Deletes the version's reports and line indexes, and each upload no other version references."""
    for name in (*REPORT_FIELDS, *(DatasetVersion.line_index_field(file) for file in FILES)):
        field = getattr(version, name)
        if field:
            field.delete(save=False)
    others = DatasetVersion.objects.exclude(pk=version.pk)
    for file in FILES:
        field = getattr(version, file)
        if field and not others.filter(**{file: field.name}).exists():
            field.delete(save=False)


def version_delete(*, version: DatasetVersion) -> None:
    """Removes a version that is not current: its collections (drops), its files, its row."""
    if Dataset.objects.filter(current_version=version).exists():
        raise ValueError("the current version cannot be deleted; delete the dataset instead")
    version_documents_drop(version=version.records_key)
    _files_delete(version)
    version.delete()


def dataset_delete_request(*, dataset: Dataset) -> None:
    """Marks the dataset as being deleted and leaves the removal to a worker."""
    with transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(deleting=True, delete_error="")
        dataset.deleting, dataset.delete_error = True, ""
        job_enqueue(kind=DELETE_JOB, object_id=str(dataset.pk))


def dataset_delete(*, dataset: Dataset) -> None:
    """Removes every version's collections and files, then the dataset and its versions."""
    Dataset.objects.filter(pk=dataset.pk).update(current_version=None, deleting=True)
    versions = list(dataset.versions.all())
    for done, version in enumerate(versions):
        job_heartbeat(stage="deleting", fraction=done / len(versions))
        version_documents_drop(version=version.records_key)
        job_heartbeat(stage="deleting", fraction=(done + 0.5) / len(versions))
        _files_delete(version)
        version.delete()
    dataset.delete()


def dataset_delete_give_up(*, object_id: str, reason: str) -> None:
    """A delete that stopped too many times: the dataset stays, with what is left of it, and may
    be deleted again; `delete_error` tells the pages why."""
    left = DatasetVersion.objects.filter(dataset_id=object_id).count()
    if left:
        kept = f"The dataset is kept with the {left} version{'s' if left != 1 else ''} not deleted yet"
    else:
        kept = "The dataset is kept, its versions already deleted"
    error = f"{reason} {kept}; delete it again to try again."
    Dataset.objects.filter(pk=object_id).update(deleting=False, delete_error=error)


def dataset_delete_finished(*, object_id: str) -> bool:
    return not Dataset.objects.filter(pk=object_id).exists()


def datasets_existing(*, object_ids: list[str]) -> set[str]:
    return {str(pk) for pk in Dataset.objects.filter(pk__in=object_ids).values_list("pk", flat=True)}


def versions_existing(*, object_ids: list[str]) -> set[str]:
    return {str(pk) for pk in DatasetVersion.objects.filter(pk__in=object_ids).values_list("pk", flat=True)}


def storage_ping() -> None:
    """Raises unless the versions' file storage answers: a HEAD of a fixed key on S3; on local
    disk, a writable folder."""
    storage = DatasetVersion._meta.get_field(FILES[0]).storage
    location = getattr(storage, "location", None)
    if location is None:
        storage.exists("health/ping")
        return
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"the storage folder {location} is not writable")
