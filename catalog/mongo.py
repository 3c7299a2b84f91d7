"""The MongoDB connection, opened lazily so that forked Celery workers each get their own, and
the collections of a version.

Each version's records live in collections of their own, named `v<version hex>_<kind>`: writing
them is a bulk insert into empty collections, and removing a version is one `drop()` per
collection, on FerretDB (where `delete_many` fails past ~32k matches) and MongoDB alike.
"""

import mongoengine
from django.conf import settings
from pymongo.collection import Collection

# Every collection a version may have; `browse_nodes` is the read model of `catalog.read_model`.
VERSION_COLLECTIONS = ("namespaces", "datapoints", "columns", "anomalies", "browse_nodes")

_connected = False


def mongo_connect() -> None:
    global _connected
    if _connected:
        return
    mongoengine.connect(
        db=settings.MONGODB_NAME,
        host=settings.MONGODB_URI,
        connect=False,
        serverSelectionTimeoutMS=10_000,
        uuidRepresentation="standard",
    )
    _connected = True


def version_collection_name(*, version: str, kind: str) -> str:
    if kind not in VERSION_COLLECTIONS:
        raise ValueError(f"unknown collection kind {kind!r}")
    if not version.isalnum():
        raise ValueError(f"a version key is letters and digits, not {version!r}")
    return f"v{version}_{kind}"


def version_collection(*, version: str, kind: str) -> Collection:
    """The collection of one kind of one version (`version` is the version id's hex)."""
    mongo_connect()
    return mongoengine.get_db()[version_collection_name(version=version, kind=kind)]
