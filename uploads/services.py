"""Services of a dataset's life: create, add a version, publish, keep, process again, delete.

The processing job itself is `uploads.processing.version_process`. Every change that starts a job
on a dataset (a new version, processing again, deleting) takes the dataset's row lock and passes
`_dataset_may_change` first, so one job at a time touches a dataset and a delete never runs
beside a processing job. The app's views, the Django admin and the command line all come here.
"""

import logging
import os

from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.db.models import Q

from catalog.mongo import version_documents_drop
from contract import FILES
from jobs.outbox import job_enqueue
from jobs.runs import job_heartbeat
from uploads.models import VERSION_FILES, Dataset, DatasetVersion, VersionStage, VersionStatus

logger = logging.getLogger(__name__)

# The FileFields of a version that are its own reports (never shared with another version).
REPORT_FIELDS = tuple(field for field, stored in VERSION_FILES.items() if stored.folder == "reports")


# The two jobs, as the `jobs` app knows them (registered in `uploads/apps.py`).
VERSION_JOB = "version.process"
DELETE_JOB = "dataset.delete"


class DatasetBusy(Exception):
    """The dataset cannot take this change now; the message says why, for the person who asked."""


class VersionInProgress(DatasetBusy):
    """A dataset processes one version at a time, so that each compares with a settled one."""


class DatasetBeingDeleted(DatasetBusy):
    """The dataset is being deleted: nothing new may start on it."""


class VersionIsCurrent(Exception):
    """Pages read the current version's records: they are withdrawn only with the dataset."""


IN_PROGRESS = "A version of this dataset is still being processed; wait for it to finish."
BEING_DELETED = "This dataset is being deleted."


def _enqueue(version: DatasetVersion) -> None:
    # The job and its message are saved with the version; the message leaves on commit, or
    # with the next sweep if the broker is down then.
    job_enqueue(kind=VERSION_JOB, object_id=str(version.pk))


def version_in_progress(*, dataset: Dataset) -> DatasetVersion | None:
    return dataset.versions.filter(status__in=(VersionStatus.QUEUED, VersionStatus.PROCESSING)).first()


def _dataset_may_change(*, dataset: Dataset) -> None:
    """The in-progress rule: raises `DatasetBusy` with the reason when a job holds the dataset."""
    if dataset.deleting:
        raise DatasetBeingDeleted(BEING_DELETED)
    if version_in_progress(dataset=dataset) is not None:
        raise VersionInProgress(IN_PROGRESS)


def _dataset_for_new_version(dataset: Dataset, *, new_dataset: bool) -> tuple[Dataset, DatasetVersion | None]:
    """Inside the short transaction of a new version: the dataset saved (a new one) or locked and
    checked (an existing one), and its latest version."""
    if new_dataset:
        dataset.save(force_insert=True)
    else:
        dataset = _dataset_locked(dataset.pk)
        _dataset_may_change(dataset=dataset)
    return dataset, dataset.versions.order_by("-number").first()


def _dataset_locked(dataset_id) -> Dataset:
    """The dataset's row, locked until the transaction ends (PostgreSQL: `SELECT ... FOR UPDATE`;
    SQLite takes the whole database at `BEGIN IMMEDIATE`, see the settings' `transaction_mode`)."""
    return Dataset.objects.select_for_update().get(pk=dataset_id)


def dataset_create(*, name: str, owner, files: dict[str, File], enqueue: bool = True) -> DatasetVersion:
    """Creates the dataset and its version 1 from the three uploads; never parses the CSVs."""
    dataset = Dataset(name=name, owner=owner)  # saved with its version, in one transaction
    return _version_add(dataset=dataset, created_by=owner, files=files, enqueue=enqueue, new_dataset=True)


def version_create(
    *, dataset: Dataset, created_by, files: dict[str, File | None], enqueue: bool = True
) -> DatasetVersion:
    """Adds a version; a file left out is carried over from the latest version (the stored file
    is referenced, not copied). The current version stays what pages show until this one is done.

    Raises `DatasetBusy` (a version in progress, a delete) before any upload is stored."""
    _dataset_may_change(dataset=Dataset.objects.get(pk=dataset.pk))
    return _version_add(dataset=dataset, created_by=created_by, files=files, enqueue=enqueue)


def _version_add(
    *,
    dataset: Dataset,
    created_by,
    files: dict[str, File | None],
    enqueue: bool,
    new_dataset: bool = False,
    carried_from: DatasetVersion | None = None,
) -> DatasetVersion:
    """Stores the uploads under the new version's own keys, then, in one short transaction under
    the dataset's lock, checks the in-progress rule again, numbers and saves the version and
    queues its job. Whatever stops it (a refusal, an error) removes the uploads it stored, so no
    file outlives a version that was never saved. `carried_from`: the version whose stored files
    the ones left out reference (the latest when None)."""
    version = DatasetVersion(dataset=dataset, created_by=created_by)  # its id names the storage keys
    replaced = [file for file in FILES if files.get(file) is not None]
    stored: list[str] = []
    try:
        for file in replaced:
            # Stored before the transaction: a large upload must not hold the database's write lock.
            getattr(version, file).save(f"{file}.csv", files[file], save=False)
            stored.append(getattr(version, file).name)
        with transaction.atomic():
            dataset, latest = _dataset_for_new_version(dataset, new_dataset=new_dataset)
            source = carried_from or latest
            missing = [file for file in FILES if file not in replaced]
            if missing and source is None:
                raise ValueError(f"the first version needs every file; missing: {', '.join(missing)}")
            version.dataset = dataset
            version.number = (latest.number + 1) if latest else 1
            version.replaced_files = replaced
            # What the steward uploaded (name and size), for the overview; the engine adds the dialect.
            carried = {file: (source.sources or {}).get(file, {}) for file in missing}
            version.sources = {
                file: {"name": files[file].name, "size": files[file].size}
                if file in replaced
                else {key: value for key, value in carried[file].items() if key in ("name", "size")}
                for file in FILES
            }
            for file in missing:
                setattr(version, file, getattr(source, file).name)
            version.save(force_insert=True)
            if enqueue:
                _enqueue(version)
    except BaseException:
        _stored_remove(stored)
        raise
    return version


def dataset_create_from_workbook(*, name: str, owner, workbook: File, enqueue: bool = True) -> DatasetVersion:
    """Creates the dataset and its version 1 from one workbook holding the three files' sheets."""
    dataset = Dataset(name=name, owner=owner)  # saved with its version, in one transaction
    return _workbook_version_add(
        dataset=dataset, created_by=owner, workbook=workbook, enqueue=enqueue, new_dataset=True
    )


def version_create_from_workbook(
    *, dataset: Dataset, created_by, workbook: File, enqueue: bool = True
) -> DatasetVersion:
    """Adds a version whose three files are the sheets of one workbook. Raises `DatasetBusy` (a
    version in progress, a delete) before the workbook is stored."""
    _dataset_may_change(dataset=Dataset.objects.get(pk=dataset.pk))
    return _workbook_version_add(dataset=dataset, created_by=created_by, workbook=workbook, enqueue=enqueue)


def _workbook_version_add(
    *, dataset: Dataset, created_by, workbook: File, enqueue: bool, new_dataset: bool = False
) -> DatasetVersion:
    """As `_version_add`, for one workbook: stored once, under the namespaces upload's key, before
    the short transaction; the other two files name the same stored file, as carried-over files do
    (the engine reads each file's sheet by name, spec "Workbooks")."""
    version = DatasetVersion(dataset=dataset, created_by=created_by)  # its id names the storage keys
    first, *others = FILES
    stored: list[str] = []
    try:
        getattr(version, first).save(f"{first}.xlsx", workbook, save=False)
        stored.append(getattr(version, first).name)
        with transaction.atomic():
            dataset, latest = _dataset_for_new_version(dataset, new_dataset=new_dataset)
            version.dataset = dataset
            version.number = (latest.number + 1) if latest else 1
            version.replaced_files = list(FILES)
            version.sources = {file: {"name": workbook.name, "size": workbook.size, "workbook": True} for file in FILES}
            for file in others:
                setattr(version, file, stored[0])
            version.save(force_insert=True)
            if enqueue:
                _enqueue(version)
    except BaseException:
        _stored_remove(stored)
        raise
    return version


def _stored_remove(names: list[str]) -> None:
    storage = DatasetVersion._meta.get_field(FILES[0]).storage
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            # The orphan sweep (`uploads.orphans`) removes it later.
            logger.exception("the upload %s of a version not saved could not be removed", name)


def version_process_again(*, version: DatasetVersion, requested_by) -> DatasetVersion:
    """Processes a finished version's stored files again; returns the version that is queued.

    A failed version that pages do not read is processed again in place (it keeps no records).
    Any other (a done version, the current one) is copied into a new version made from the same
    stored files (referenced, not copied): the records pages read are never touched, and stay
    current if the new run fails. Its "What changed" then shows that nothing changed.
    Raises `DatasetBusy` when a job holds the dataset."""
    with transaction.atomic():
        dataset = _dataset_locked(version.dataset_id)
        _dataset_may_change(dataset=dataset)
        version = DatasetVersion.objects.get(pk=version.pk)
        if version.status == VersionStatus.FAILED and dataset.current_version_id != version.pk:
            version_state_reset(version=version)
            _enqueue(version)
            return version
    return _version_add(dataset=dataset, created_by=requested_by, files={}, enqueue=True, carried_from=version)


def version_state_reset(*, version: DatasetVersion) -> None:
    """Puts a version back in the queue as if it had never run (its records, if a stopped run left
    any, are withdrawn when its next run starts, see `uploads.processing`)."""
    fields = {
        "status": VersionStatus.QUEUED,
        "stage": VersionStage.QUEUED,
        "percent": 0,
        "progress_done": 0,
        "progress_total": 0,
        "error": "",
        "counts": {},
        "anomalies_total": 0,
        "finished_at": None,
        "statuses_revision": 0,
        "statuses_rebuilt": False,
    }
    DatasetVersion.objects.filter(pk=version.pk).update(**fields)
    for name, value in fields.items():
        setattr(version, name, value)


def version_records_withdraw(*, version: DatasetVersion) -> None:
    """Drops the version's collections and marks it as keeping none; never those of the current
    version (pages read them), which `dataset_delete` first makes not current."""
    if Dataset.objects.filter(current_version=version.pk).exists():
        raise VersionIsCurrent(f"version {version.number} is current: its records stay")
    version_documents_drop(version=version.records_key)
    DatasetVersion.objects.filter(pk=version.pk).update(records_kept=False)
    version.records_kept = False


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
        if field and not upload_referenced(versions=others, name=field.name):
            field.delete(save=False)


def upload_referenced(*, versions, name: str) -> bool:
    """Whether any of `versions` names the stored upload in any of its file fields (a workbook is
    stored once for the three files, and a later version may carry any of them over)."""
    query = Q()
    for file in FILES:
        query |= Q(**{file: name})
    return versions.filter(query).exists()


def version_delete(*, version: DatasetVersion) -> None:
    """Removes a version that is not current: its collections (drops), its files, its row."""
    if Dataset.objects.filter(current_version=version).exists():
        raise ValueError("the current version cannot be deleted; delete the dataset instead")
    version_records_withdraw(version=version)
    _files_delete(version)
    version.delete()


def dataset_delete_request(*, dataset: Dataset) -> bool:
    """The one way to delete a dataset (the app, the Django admin, an API): marks it as being
    deleted and leaves the removal to a worker. Refused (`VersionInProgress`) while a version is
    queued or processing, so no job writes records or reports after its dataset is gone. False
    when a delete is already under way (it goes on; nothing more is queued)."""
    with transaction.atomic():
        locked = _dataset_locked(dataset.pk)
        if locked.deleting:
            return False
        _dataset_may_change(dataset=locked)
        Dataset.objects.filter(pk=dataset.pk).update(deleting=True, delete_error="")
        dataset.deleting, dataset.delete_error = True, ""
        job_enqueue(kind=DELETE_JOB, object_id=str(dataset.pk))
    return True


def dataset_delete(*, dataset: Dataset) -> None:
    """Removes every version's collections and files, then the dataset and its versions."""
    Dataset.objects.filter(pk=dataset.pk).update(current_version=None, deleting=True)
    versions = list(dataset.versions.all())
    for done, version in enumerate(versions):
        job_heartbeat(stage="deleting", fraction=done / len(versions))
        version_records_withdraw(version=version)
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
    if not isinstance(storage, FileSystemStorage):  # S3Storage has a `location` too: a key prefix
        storage.exists("health/ping")
        return
    location = storage.location
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"the storage folder {location} is not writable")
