"""Writes the MongoDB documents of a version in bulk (the worker; `catalog.mongo` drops them).

A version's documents live in collections of their own (`catalog.mongo`): writing is
`insert_many` into empty collections, removing is one `drop()` per collection. Nothing is ever
deleted document by document.
"""

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd
from pymongo.errors import BulkWriteError

from catalog.mongo import status_collection, status_revisions_stored, version_collection
from catalog.nodes import NODE_HEADER, STATUS_KINDS, node_pack
from catalog.read_model import anomaly_nodes_build, browse_nodes_build
from contract import FILES, SCHEMAS
from engine.codes import ANOMALY_FRAME_COLUMNS

logger = logging.getLogger(__name__)

INSERT_BATCH_SIZE = 5_000
DUPLICATE_KEY = 11000  # MongoDB's error code
# Record batches in flight at once: the server encodes one while it writes the other.
RECORD_STREAMS = 2
# Kept with each anomaly beside the engine's columns: its status, and whether the previous version had it.
ANOMALY_TRIAGE_COLUMNS = ("status", "known")
NODE_BATCH_SIZE = 500  # nodes hold up to 50 items each
NODE_BATCH_BYTES = 8 << 20  # of packed nodes (one may hold up to about 3 MiB before compression)
# The fields a document of each collection may hold, from the one home of each: the engine's schema
# (records), its anomaly columns, and a browse node's header and packed body (`catalog.read_model`).
DOCUMENT_FIELDS = {
    **{file: frozenset({"_id", "line", *SCHEMAS[file].fields}) for file in FILES},
    # status and known: `uploads.anomaly_status`
    "anomalies": frozenset({"_id", *ANOMALY_FRAME_COLUMNS, *ANOMALY_TRIAGE_COLUMNS}),
    "browse_nodes": frozenset({*NODE_HEADER, "packed", "data"}),
}


def _frame_to_documents(frame: pd.DataFrame, *, ids: pd.Series) -> Iterator[list[dict]]:
    """Batches of documents; one batch at a time, so a million rows never become a million dicts."""
    ids = ids.astype(str).to_numpy()
    for start in range(0, len(frame), INSERT_BATCH_SIZE):
        batch = frame.iloc[start : start + INSERT_BATCH_SIZE].astype(object)
        batch = batch.where(batch.notna(), None)
        batch.insert(0, "_id", ids[start : start + INSERT_BATCH_SIZE])
        yield batch.to_dict("records")


def _validate_batch(kind: str, batch: list[dict]) -> None:
    # The pipeline has already cleaned every value; checking the field set of the first document
    # of each batch catches a schema drift without a per-row Python validation.
    unknown = set(batch[0]) - DOCUMENT_FIELDS[kind]
    if unknown or "_id" not in batch[0]:
        raise ValueError(f"{kind}: unexpected fields {sorted(unknown)} or no _id")


def _insert(
    *,
    version: str,
    kind: str,
    batches: Iterable[list[dict]],
    progress: Callable[[int], None] | None,
    streams: int = 1,
    rewrite: bool = False,
) -> int:
    """Inserts the batches into the version's collection of that kind; returns the documents
    written. With `streams` > 1, that many batches are in flight at once (on threads): the server
    encodes one while it writes another. `progress(done)` runs on the calling thread.

    `rewrite`: this run follows a stopped run of the same version. A server finishes the writes a
    killed process had sent, even after this run dropped the collections; those documents are the
    very ones this run writes (same files, same engine, same keys), so a duplicate key means
    "already there" and is not an error. Any other write error still is."""
    collection = version_collection(version=version, kind=kind)
    done = 0
    with ThreadPoolExecutor(max_workers=streams, thread_name_prefix=f"insert-{kind}") as pool:
        in_flight: deque[Future] = deque()

        def settle(count: int) -> None:
            nonlocal done
            while len(in_flight) > count:
                done += in_flight.popleft().result()
                if progress:
                    progress(done)

        try:
            for batch in batches:
                _validate_batch(kind, batch)
                in_flight.append(pool.submit(_insert_batch, collection, batch, rewrite))
                settle(streams - 1)
            settle(0)
        finally:
            for future in in_flight:  # leaving on an error: nothing stays queued behind it
                future.cancel()
    return done


def _insert_batch(collection, batch: list[dict], rewrite: bool) -> int:
    try:
        collection.insert_many(batch, ordered=False)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors") or []
        if not (rewrite and errors and all(error.get("code") == DUPLICATE_KEY for error in errors)):
            raise
        logger.info("%s of %s documents were already written by a stopped run", len(errors), len(batch))
    return len(batch)


def records_persist(
    *,
    version: str,
    records: dict[str, pd.DataFrame],
    progress: Callable[[int, int], None] | None = None,
    rewrite: bool = False,
) -> None:
    """Inserts the kept records of the three files; `progress(done, total)` after each batch
    (`rewrite`: see `_insert`)."""
    total = sum(len(frame) for frame in records.values())
    done_before = 0
    for file in FILES:
        frame = records[file]
        if frame.empty:
            continue
        documents = _frame_to_documents(frame, ids=frame[SCHEMAS[file].key])

        def report(done: int, base: int = done_before) -> None:
            if progress:
                progress(base + done, total)

        _insert(
            version=version,
            kind=file,
            batches=documents,
            progress=report,
            streams=RECORD_STREAMS,
            rewrite=rewrite,
        )
        done_before += len(frame)


def anomalies_persist(*, version: str, anomalies: pd.DataFrame, rewrite: bool = False) -> None:
    """One document per anomaly, with its status and `known` when the frame has them (`uploads.anomaly_status`)."""
    if anomalies.empty:
        return
    frame = anomalies.reindex(columns=[*ANOMALY_FRAME_COLUMNS, "status"], fill_value="")
    if "known" in anomalies:
        frame["known"] = anomalies["known"].astype(bool)
    positions = pd.Series(range(len(frame)), index=frame.index).map("{:09d}".format)
    documents = _frame_to_documents(frame, ids=positions)
    _insert(version=version, kind="anomalies", batches=documents, progress=None, rewrite=rewrite)


def _node_batches(nodes: Iterable[dict]) -> Iterator[tuple[list[dict], int]]:
    """Batches of packed nodes, with the entries they hold: NODE_BATCH_SIZE nodes, cut earlier
    once their packed bytes pass NODE_BATCH_BYTES."""
    batch, size, weight = [], 0, 0
    for node in nodes:
        weight += _node_weight(node)
        document = node_pack(node)
        batch.append(document)
        size += len(document["packed"]) + len(document.get("data") or b"")
        if len(batch) == NODE_BATCH_SIZE or size >= NODE_BATCH_BYTES:
            yield batch, weight
            batch, size, weight = [], 0, 0
    if batch:
        yield batch, weight


def _node_weight(node: dict) -> int:
    """Entries a node holds: its items, or the rows of a search-rows chunk (packed in its data)."""
    if node["kind"] == "search_rows":
        return node["items"][0]["rows"]
    return len(node["items"])


def browse_index_persist(
    *,
    version: str,
    records: dict[str, pd.DataFrame],
    anomalies: pd.DataFrame,
    progress: Callable[[int, int], None] | None = None,
    rewrite: bool = False,
) -> int:
    """Builds and writes the browse index of a version; returns the number of nodes
    (`rewrite`: see `_insert`).

    `progress(written, expected)` follows the entries written against an estimate: each column row
    appears about three times (its table's page, its data point's page, the search index), each
    data point once, each anomaly under sixteen filter combinations and more (see `anomaly_nodes_build`)."""
    nodes = browse_nodes_build(records=records, anomalies=anomalies)
    expected = len(records["namespaces"]) + 3 * len(records["columns"]) + len(records["datapoints"])
    expected += 26 * len(anomalies) + 1  # and the "needs attention" pages, the groups and their rows
    written = 0

    def batches() -> Iterator[list[dict]]:
        nonlocal written
        for batch, weight in _node_batches(nodes):
            yield batch  # resumed once the batch is inserted
            written += weight
            if progress:
                progress(min(written, expected - 1), expected)

    inserted = _insert(version=version, kind="browse_nodes", batches=batches(), progress=None, rewrite=rewrite)
    if progress:
        progress(expected, expected)
    return inserted


def anomalies_read(*, version: str) -> pd.DataFrame:
    """A version's anomalies as `anomalies_persist` got them, in the same order; `known` is missing
    (NA) for documents written before it was kept."""
    documents = version_collection(version=version, kind="anomalies").find({}, sort=[("_id", 1)])
    frame = pd.DataFrame(list(documents), columns=["_id", *ANOMALY_FRAME_COLUMNS, *ANOMALY_TRIAGE_COLUMNS])
    frame = frame.drop(columns="_id")
    frame["line"] = pd.array(frame["line"].astype(object).where(frame["line"].notna(), None), dtype="Int64")
    return frame


def status_nodes_persist(*, version: str, anomalies: pd.DataFrame, revision: int) -> int:
    """Writes the anomaly pages that hold statuses (`nodes.STATUS_KINDS`) of `anomalies` as the
    version's pages at triage revision `revision`, a collection of their own. Writing the same
    revision again (a run stopped, then run again) gives the same documents: already there."""
    collection = status_collection(version=version, revision=revision)
    written = 0
    for batch, _weight in _node_batches(
        node for node in anomaly_nodes_build(anomalies) if node["kind"] in STATUS_KINDS
    ):
        _validate_batch("browse_nodes", batch)
        written += _insert_batch(collection, batch, rewrite=True)
    return written


def status_nodes_prune(*, version: str, keep: Callable[[int], bool]) -> list[int]:
    """Drops the version's rebuilt pages of every triage revision `keep` refuses; returns those."""
    dropped = [revision for revision in status_revisions_stored(version=version) if not keep(revision)]
    for revision in dropped:
        status_collection(version=version, revision=revision).drop()
    return dropped
