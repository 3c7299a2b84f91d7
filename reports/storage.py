"""File storage through Django's storage API (local disk, or S3 when a bucket is configured).

Keys are built here from dataset ids and fixed names only: no user-supplied path reaches storage.
"""

import os

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

UPLOAD_FILES = ("namespaces", "datapoints", "columns")


def upload_key(*, dataset_id: str, file: str) -> str:
    if file not in UPLOAD_FILES:
        raise ValueError(f"unknown upload file {file!r}")
    return f"datasets/{dataset_id}/uploads/{file}.csv"


def report_key(*, dataset_id: str, name: str) -> str:
    if name not in ("anomalies.csv", "summary.json"):
        raise ValueError(f"unknown report {name!r}")
    return f"datasets/{dataset_id}/reports/{name}"


def storage_save(*, key: str, content) -> str:
    """Saves bytes or a Django File under exactly `key`, replacing what was there."""
    if default_storage.exists(key):
        default_storage.delete(key)
    if isinstance(content, bytes):
        content = ContentFile(content)
    saved = default_storage.save(key, content)
    if saved != key:
        raise RuntimeError(f"storage saved {key!r} as {saved!r}")
    return saved


def storage_read(*, key: str) -> bytes:
    with default_storage.open(key, "rb") as handle:
        return handle.read()


def storage_open(*, key: str):
    return default_storage.open(key, "rb")


def storage_exists(*, key: str) -> bool:
    return bool(key) and default_storage.exists(key)


def storage_delete_dataset(*, dataset_id: str, keys: list[str]) -> None:
    for key in keys:
        if key and default_storage.exists(key):
            default_storage.delete(key)


def storage_ping() -> None:
    """Raises unless the storage answers: a HEAD of a fixed key on S3; on local disk, a writable folder."""
    location = getattr(default_storage, "location", None)
    if location is None:
        default_storage.exists("health/ping")
        return
    os.makedirs(location, exist_ok=True)
    if not os.access(location, os.W_OK):
        raise PermissionError(f"the storage folder {location} is not writable")
