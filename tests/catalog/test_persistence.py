"""Writing a version's collections on FerretDB: records in two streams, and a re-run over the
last writes of a stopped run."""

import uuid

import pandas as pd
import pytest
from pymongo.errors import BulkWriteError

from catalog import persistence
from catalog.mongo import version_collection, version_document_counts, version_documents_drop
from catalog.persistence import records_persist
from engine import pipeline_run

pytestmark = pytest.mark.usefixtures("mongo")


@pytest.fixture
def version():
    key = uuid.uuid4().hex
    yield key
    version_documents_drop(version=key)


def _records(count: int) -> dict[str, pd.DataFrame]:
    files = {
        "namespaces": b"namespace_id,namespace_option_name\nN1,One\n",
        "datapoints": b"data_point_id,data_point_name,data_type\nDP1,Returns,float\n",
        "columns": (
            "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
            + "".join(f"C{i},N1,db,t,c{i},DP1\n" for i in range(count))
        ).encode(),
    }
    result = pipeline_run(files=files)
    return {file: part.records for file, part in result.files.items()}


def test_records_in_several_batches_and_streams_are_all_written_once_with_progress(version, monkeypatch):
    monkeypatch.setattr(persistence, "INSERT_BATCH_SIZE", 7)
    records = _records(50)
    reported = []

    records_persist(version=version, records=records, progress=lambda done, total: reported.append((done, total)))

    counts = version_document_counts(version=version)
    assert (counts["namespaces"], counts["datapoints"], counts["columns"]) == (1, 1, 50)
    assert reported[-1] == (52, 52)
    assert [done for done, _ in reported] == sorted(done for done, _ in reported)


def test_a_rerun_takes_the_late_writes_of_a_stopped_run_as_already_written(version, monkeypatch):
    monkeypatch.setattr(persistence, "INSERT_BATCH_SIZE", 7)
    records = _records(30)
    # given the documents a killed run had sent, landing after the re-run dropped the collections
    late = next(persistence._frame_to_documents(records["columns"], ids=records["columns"]["column_id"]))[:5]
    version_collection(version=version, kind="columns").insert_many(late)

    # then a first run would take them for an error (two runs must never mix) ...
    with pytest.raises(BulkWriteError):
        records_persist(version=version, records=records)
    version_documents_drop(version=version)
    version_collection(version=version, kind="columns").insert_many(late)

    # ... and a re-run writes the rest, each document once
    records_persist(version=version, records=records, rewrite=True)
    assert version_document_counts(version=version)["columns"] == 30
    ids = [doc["_id"] for doc in version_collection(version=version, kind="columns").find({}, {"_id": 1})]
    assert sorted(ids) == sorted(f"C{i}" for i in range(30))
