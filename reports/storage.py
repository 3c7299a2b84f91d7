"""File storage through Django's storage API (local disk, or S3 when a bucket is configured).

Keys are built here from dataset ids and fixed names only: no user-supplied path reaches storage.
"""

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from storages.utils import clean_name

UPLOAD_FILES = ("namespaces", "datapoints", "columns")


def upload_key(*, dataset_id: str, file: str) -> str:
    if file not in UPLOAD_FILES:
        raise ValueError(f"unknown upload file {file!r}")
    return f"datasets/{dataset_id}/uploads/{file}.csv"


def line_index_key(*, dataset_id: str, file: str) -> str:
    if file not in UPLOAD_FILES:
        raise ValueError(f"unknown upload file {file!r}")
    return f"datasets/{dataset_id}/uploads/{file}.lines.npz"


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


def storage_read_range(*, key: str, start: int, end: int) -> bytes:
    """Bytes start..end-1 of a stored file, without reading the rest of it."""
    if end <= start:
        return b""
    bucket = getattr(default_storage, "bucket", None)
    if bucket is not None:
        # django-storages' S3 file object downloads the whole object on first read: a ranged GET instead
        name = default_storage._normalize_name(clean_name(key))
        return bucket.Object(name).get(Range=f"bytes={start}-{end - 1}")["Body"].read()
    with default_storage.open(key, "rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def storage_open(*, key: str):
    return default_storage.open(key, "rb")


def storage_exists(*, key: str) -> bool:
    return bool(key) and default_storage.exists(key)


def storage_delete_dataset(*, dataset_id: str, keys: list[str]) -> None:
    indexes = [line_index_key(dataset_id=dataset_id, file=file) for file in UPLOAD_FILES]
    for key in [*keys, *indexes]:
        if key and default_storage.exists(key):
            default_storage.delete(key)
