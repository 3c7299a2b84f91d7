"""Bulk writes and deletes against the real server (FerretDB here)."""

import uuid

import pytest

from catalog.documents import AnomalyDocument
from catalog.persistence import dataset_documents_delete

pytestmark = pytest.mark.usefixtures("mongo")


def _anomalies(dataset_id: str, count: int) -> list[dict]:
    return [
        {
            "_id": f"{dataset_id}:{i:09d}",
            "dataset_id": dataset_id,
            "file": "columns",
            "line": i + 2,
            "field": "",
            "code": "blank-row",
            "severity": "info",
            "value": "",
            "message": "blank line; skipped",
        }
        for i in range(count)
    ]


def test_deleting_a_dataset_larger_than_one_delete_statement_removes_all_of_it_and_nothing_else():
    # given more documents than FerretDB's SQLite backend deletes in one statement (~32k)
    doomed, kept = str(uuid.uuid4()), str(uuid.uuid4())
    collection = AnomalyDocument._get_collection()
    collection.insert_many(_anomalies(doomed, 33_000), ordered=False)
    collection.insert_many(_anomalies(kept, 10), ordered=False)

    # when the first dataset is deleted
    deleted = dataset_documents_delete(dataset_id=doomed)

    # then all of it is gone, and the other dataset is untouched
    assert deleted == 33_000
    assert collection.count_documents({"dataset_id": doomed}) == 0
    assert collection.count_documents({"dataset_id": kept}) == 10
    dataset_documents_delete(dataset_id=kept)
