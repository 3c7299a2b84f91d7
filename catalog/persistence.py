"""Writes and deletes the MongoDB documents of a dataset in bulk."""

import logging
from collections.abc import Callable, Iterable, Iterator

import pandas as pd
from pymongo import DeleteOne
from pymongo.errors import OperationFailure

from catalog.documents import ALL_DOCUMENTS, RECORD_DOCUMENTS, AnomalyDocument, BrowseNodeDocument
from catalog.mongo import mongo_connect
from catalog.read_model import browse_nodes_build
from engine import SCHEMAS

logger = logging.getLogger(__name__)

INSERT_BATCH_SIZE = 5_000
NODE_BATCH_SIZE = 500  # nodes hold up to 50 items each
NODE_BATCH_BYTES = 8 << 20  # search postings are packed in 256 KB nodes
DELETE_BATCH_SIZE = 1_000


def _frame_to_documents(frame: pd.DataFrame, *, dataset_id: str, ids: pd.Series) -> Iterator[list[dict]]:
    """Batches of documents; one batch at a time, so a million rows never become a million dicts."""
    ids = (dataset_id + ":" + ids.astype(str)).to_numpy()
    for start in range(0, len(frame), INSERT_BATCH_SIZE):
        batch = frame.iloc[start : start + INSERT_BATCH_SIZE].astype(object)
        batch = batch.where(batch.notna(), None)
        batch.insert(0, "dataset_id", dataset_id)
        batch.insert(0, "_id", ids[start : start + INSERT_BATCH_SIZE])
        yield batch.to_dict("records")


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _validate_batch(document_class, batch: list[dict]) -> None:
    # The pipeline has already cleaned every value; checking the field set and the first
    # document of each batch catches a schema drift without a per-row Python validation.
    expected = set(document_class._db_field_map.values())
    for document in (batch[0],):
        unknown = set(document) - expected
        if unknown:
            raise ValueError(f"{document_class.__name__}: unexpected fields {sorted(unknown)}")
        document_class._from_son(document).validate()


def _insert(document_class, batches: Iterable[list[dict]], progress: Callable[[int], None] | None) -> int:
    collection = document_class._get_collection()
    done = 0
    for batch in batches:
        _validate_batch(document_class, batch)
        collection.insert_many(batch, ordered=False)
        done += len(batch)
        if progress:
            progress(done)
    return done


def records_persist(
    *, dataset_id: str, records: dict[str, pd.DataFrame], progress: Callable[[int, int], None] | None = None
) -> None:
    """Inserts the kept records of the three files; `progress(done, total)` after each batch."""
    mongo_connect()
    total = sum(len(frame) for frame in records.values())
    done_before = 0
    for file, document_class in RECORD_DOCUMENTS.items():
        frame = records[file]
        if frame.empty:
            continue
        documents = _frame_to_documents(frame, dataset_id=dataset_id, ids=frame[SCHEMAS[file].key])

        def report(done: int, base: int = done_before) -> None:
            if progress:
                progress(base + done, total)

        _insert(document_class, documents, report)
        done_before += len(frame)


def anomalies_persist(*, dataset_id: str, anomalies: pd.DataFrame) -> None:
    mongo_connect()
    if anomalies.empty:
        return
    frame = anomalies[["file", "line", "field", "code", "severity", "value", "message"]].copy()
    positions = pd.Series(range(len(frame)), index=frame.index).map("{:09d}".format)
    _insert(AnomalyDocument, _frame_to_documents(frame, dataset_id=dataset_id, ids=positions), None)


def _node_batches(nodes: Iterable[dict]) -> Iterator[list[dict]]:
    """Batches of NODE_BATCH_SIZE nodes, cut earlier once their packed data passes NODE_BATCH_BYTES."""
    batch, size = [], 0
    for node in nodes:
        batch.append(node)
        size += len(node.get("data") or b"")
        if len(batch) == NODE_BATCH_SIZE or size >= NODE_BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _node_weight(node: dict) -> int:
    """Entries a node holds: its items, or the rows of a search-rows chunk (packed in its data)."""
    if node["kind"] == "search_rows":
        return node["items"][0]["rows"]
    return len(node["items"])


def browse_index_persist(
    *,
    dataset_id: str,
    records: dict[str, pd.DataFrame],
    anomalies: pd.DataFrame,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Builds and writes the browse index of a dataset; returns the number of nodes.

    `progress(written, expected)` follows the entries written against an estimate: each column row
    appears about three times (its table's page, its data point's page, the search index), each
    data point once, each anomaly under eight filter combinations."""
    mongo_connect()
    nodes = browse_nodes_build(dataset_id=dataset_id, records=records, anomalies=anomalies)
    expected = len(records["namespaces"]) + 3 * len(records["columns"]) + len(records["datapoints"])
    expected += 8 * len(anomalies) + 1
    written = 0

    def batches() -> Iterator[list[dict]]:
        nonlocal written
        for batch in _node_batches(nodes):
            yield batch  # resumed once the batch is inserted
            written += sum(_node_weight(node) for node in batch)
            if progress:
                progress(min(written, expected - 1), expected)

    inserted = _insert(BrowseNodeDocument, batches(), None)
    if progress:
        progress(expected, expected)
    return inserted


def dataset_documents_delete(*, dataset_id: str) -> int:
    """Deletes every document of the dataset; returns how many were deleted.

    One `delete_many` per collection where the server takes it (MongoDB always; FerretDB's SQLite
    backend only up to ~32k matches, past which it fails without deleting anything); otherwise by
    `_id` in bulk, the only filter that backend can find through an index.
    """
    mongo_connect()
    deleted = 0
    for document_class in ALL_DOCUMENTS:
        collection = document_class._get_collection()
        try:
            deleted += collection.delete_many({"dataset_id": dataset_id}).deleted_count
            continue
        except OperationFailure:
            logger.info("delete_many refused on %s; deleting by _id", collection.name)
        ids = [doc["_id"] for doc in collection.find({"dataset_id": dataset_id}, {"_id": 1})]
        for batch in _batches(ids, DELETE_BATCH_SIZE):
            result = collection.bulk_write([DeleteOne({"_id": _id}) for _id in batch], ordered=False)
            deleted += result.deleted_count
    return deleted


def indexes_ensure() -> None:
    mongo_connect()
    for document_class in ALL_DOCUMENTS:
        document_class.ensure_indexes()
