"""The orphan sweep: collections and stored files that no dataset or version references any more.

They come from work that outlived its row: a killed run's last writes landing after its version
was deleted, a delete that stopped half-way and was never asked again, an upload whose request
died before its version was saved. The sweep runs as a job of the jobs app (`ORPHANS_JOB`,
queued by Celery beat every `ORPHANS_SWEEP_SECONDS`) and on demand (`manage.py orphans_sweep`).

What it lists first, it removes only if the database, read after, has no row for it: a version's
collections are written only by a job that loaded its row, so a collection listed before the
rows were read belongs to a row read after. A stored file may come before its row (an upload is
stored, then its version saved), so a file is left alone until it is `ORPHANS_MIN_AGE_SECONDS` old.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.mongo import version_collections_stored, version_documents_drop
from jobs.outbox import job_request
from uploads.models import STORAGE_ROOT, DatasetVersion

logger = logging.getLogger(__name__)

# Every file a version references (uploads, line indexes, reports), by field name.
FILE_FIELDS = tuple(f.name for f in DatasetVersion._meta.get_fields() if isinstance(f, models.FileField))


@dataclass
class Orphans:
    collections: list[str] = field(default_factory=list)  # collection names
    files: list[str] = field(default_factory=list)  # storage names
    removed: bool = False

    def __str__(self) -> str:
        verb = "removed" if self.removed else "found"
        return f"{len(self.collections)} orphan collections and {len(self.files)} orphan files {verb}"


def _storage():
    return DatasetVersion._meta.get_field(FILE_FIELDS[0]).storage


def _listdir(storage, folder: str) -> tuple[list[str], list[str]]:
    try:
        return storage.listdir(folder)
    except FileNotFoundError:  # local disk: nothing stored yet
        return [], []


def storage_files(storage, folder: str) -> Iterator[str]:
    """The name of every file stored under `folder`, at any depth (none when it does not exist)."""
    folders, files = _listdir(storage, folder)
    for name in files:
        yield f"{folder}/{name}"
    for name in folders:
        yield from storage_files(storage, f"{folder}/{name}")


def _version_folders(storage) -> Iterator[tuple[str, str]]:
    """(dataset id, version id) of every version folder in storage."""
    for dataset_id in _listdir(storage, STORAGE_ROOT)[0]:
        for version_id in _listdir(storage, f"{STORAGE_ROOT}/{dataset_id}/versions")[0]:
            yield dataset_id, version_id


def _old_enough(storage, name: str, cutoff) -> bool:
    try:
        return storage.get_modified_time(name) <= cutoff
    except FileNotFoundError:
        return False  # removed meanwhile


def orphans_sweep(*, remove: bool = True) -> Orphans:
    """Finds (and with `remove`, drops and deletes) the collections and stored files of versions
    that have no row, keeping any file another version still references."""
    storage = _storage()
    cutoff = timezone.now() - timedelta(seconds=settings.ORPHANS_MIN_AGE_SECONDS)
    # Listed first, then the rows (see the module's docstring).
    collections = version_collections_stored()
    folders = list(_version_folders(storage))
    rows = DatasetVersion.objects.values_list("pk", "dataset_id", *FILE_FIELDS)
    keys, owners, referenced = set(), set(), set()
    for pk, dataset_id, *names in rows.iterator():
        keys.add(pk.hex)
        owners.add((str(dataset_id), str(pk)))
        referenced.update(name for name in names if name)

    orphans = Orphans(removed=remove)
    for key in sorted(set(collections) - keys):
        orphans.collections += sorted(collections[key])
        if remove:
            version_documents_drop(version=key)
    for dataset_id, version_id in folders:
        if (dataset_id, version_id) in owners:
            continue
        for name in storage_files(storage, f"{STORAGE_ROOT}/{dataset_id}/versions/{version_id}"):
            if name not in referenced and _old_enough(storage, name, cutoff):
                orphans.files.append(name)
                if remove:
                    storage.delete(name)
    if orphans.collections or orphans.files:
        logger.warning("orphan sweep: %s", orphans)
    return orphans


# --- As a job of the jobs app -----------------------------------------------------------------

ORPHANS_JOB = "orphans.sweep"
ORPHANS_OBJECT = "all"  # one sweep covers everything: one lease, so two never run at once


def orphans_sweep_request() -> bool:
    """Queues the sweep unless it is queued or running already (what Celery beat calls)."""
    return job_request(kind=ORPHANS_JOB, object_id=ORPHANS_OBJECT)


def orphans_job_give_up(*, object_id: str, reason: str) -> None:
    logger.error("the orphan sweep was given up: %s", reason)  # the next one comes with beat


def orphans_job_finished(*, object_id: str) -> bool:
    return False  # a sweep stopped half-way is worth running again


def orphans_job_existing(*, object_ids: list[str]) -> set[str]:
    return set(object_ids)  # its lease and run log stay: they tell when the sweep last ran
