"""The MongoDB connection, opened lazily so that forked Celery workers each get their own, and
the collections of a version.

Each version's records live in collections of their own, named `v<version hex>_<kind>`: writing
them is a bulk insert into empty collections, and removing a version is one `drop()` per
collection, on FerretDB (where `delete_many` fails past ~32k matches) and MongoDB alike.
"""

import re

import pymongo
from django.conf import settings
from pymongo.collection import Collection
from pymongo.database import Database

# Every collection a version has; `browse_nodes` is the read model of `catalog.read_model`.
VERSION_COLLECTIONS = ("namespaces", "datapoints", "columns", "anomalies", "browse_nodes")
# And its anomaly pages rebuilt after a triage decision (`catalog.persistence`): one collection per
# triage revision, `v<version hex>_status_nodes_<revision>`, so those replaced go with one drop().
STATUS_NODES = "status_nodes"


class _Connection:
    """This process's client, made on first use, and the bound on its operations."""

    client: pymongo.MongoClient | None = None
    # None: no limit (the worker's long bulk writes). The web process sets one (see mongo_bound_operations).
    socket_timeout_ms: int | None = None


_connection = _Connection()


def mongo_connect() -> Database:
    """The records' database; the client is made on first use and connects on its first operation."""
    if _connection.client is None:
        _connection.client = pymongo.MongoClient(settings.MONGODB_URI, connect=False, **mongo_client_options())
    return _connection.client[settings.MONGODB_NAME]


def mongo_client_options() -> dict:
    """The client's timeouts: short, so an unreachable server fails a page fast (see
    ServiceUnavailableMiddleware). In the web process each operation is also bounded, and a read
    that timed out is not retried: a hung server answers the page's 503 after one socket timeout,
    not two plus a server selection."""
    options = {
        "serverSelectionTimeoutMS": settings.MONGODB_SERVER_SELECTION_TIMEOUT_MS,
        "connectTimeoutMS": settings.MONGODB_CONNECT_TIMEOUT_MS,
        "socketTimeoutMS": _connection.socket_timeout_ms,
        "uuidRepresentation": "standard",
    }
    if _connection.socket_timeout_ms is not None:
        options["retryReads"] = False
    return options


def _version_prefix(version: str) -> str:
    if not version.isalnum():
        raise ValueError(f"a version key is letters and digits, not {version!r}")
    return f"v{version}_"


def version_collection_name(*, version: str, kind: str) -> str:
    if kind not in VERSION_COLLECTIONS:
        raise ValueError(f"unknown collection kind {kind!r}")
    return f"{_version_prefix(version)}{kind}"


def version_collection(*, version: str, kind: str) -> Collection:
    """The collection of one kind of one version (`version` is the version id's hex)."""
    return mongo_connect()[version_collection_name(version=version, kind=kind)]


def status_collection(*, version: str, revision: int) -> Collection:
    """The anomaly pages of a version rebuilt at a triage revision (`catalog.nodes.STATUS_KINDS`)."""
    return mongo_connect()[f"{_version_prefix(version)}{STATUS_NODES}_{int(revision)}"]


def status_revisions_stored(*, version: str) -> list[int]:
    """The triage revisions whose rebuilt pages the version has, in order."""
    prefix = f"{_version_prefix(version)}{STATUS_NODES}_"
    suffixes = (name[len(prefix) :] for name in mongo_connect().list_collection_names() if name.startswith(prefix))
    return sorted(int(suffix) for suffix in suffixes if suffix.isdigit())


def mongo_bound_operations(*, socket_timeout_ms: int) -> None:
    """Bounds every MongoDB operation of this process from now on: the web process calls it, so a
    page never hangs on a stalled server; the worker never does."""
    _connection.socket_timeout_ms = socket_timeout_ms
    mongo_disconnect()


def mongo_disconnect() -> None:
    """Forgets the connection, so the next call connects anew with the current settings."""
    if _connection.client is not None:
        _connection.client.close()
    _connection.client = None


def mongo_ping(*, timeout_seconds: float) -> None:
    """Raises unless the server answers a ping within `timeout_seconds`."""
    database = mongo_connect()
    with pymongo.timeout(timeout_seconds):
        database.command("ping")


def version_documents_drop(*, version: str) -> None:
    """Drops every collection of the version (dropping one that does not exist is harmless)."""
    mongo_connect()
    for kind in VERSION_COLLECTIONS:
        version_collection(version=version, kind=kind).drop()
    for revision in status_revisions_stored(version=version):
        status_collection(version=version, revision=revision).drop()


def version_collections_stored() -> dict[str, list[str]]:
    """The collections of versions in the database, by version key (`DatasetVersion.records_key`)."""
    pattern = re.compile(rf"^v([0-9a-f]{{32}})_({'|'.join(VERSION_COLLECTIONS)}|{STATUS_NODES}_[0-9]+)$")
    stored: dict[str, list[str]] = {}
    for name in mongo_connect().list_collection_names():
        match = pattern.match(name)
        if match:
            stored.setdefault(match.group(1), []).append(name)
    return stored


def version_document_counts(*, version: str) -> dict[str, int]:
    """Documents per collection of the version (a count of a whole collection, no filter)."""
    return {kind: version_collection(version=version, kind=kind).count_documents({}) for kind in VERSION_COLLECTIONS}
