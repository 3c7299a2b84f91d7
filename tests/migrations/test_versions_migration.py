"""Migration 0003: every existing dataset becomes a dataset with a version 1, keeping its files,
figures and records (moved into the version's own collections)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.mongo import mongo_connect, version_collection
from uploads.models import Dataset, DatasetVersion

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

BEFORE = [("uploads", "0002_dataset_deleting")]
AFTER = [("uploads", "0003_versions")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


def _keys(dataset_id: str) -> dict[str, str]:
    names = ("namespaces", "datapoints", "columns")
    keys = {f"{name}_key": f"datasets/{dataset_id}/uploads/{name}.csv" for name in names}
    return {
        **keys,
        "anomalies_csv_key": f"datasets/{dataset_id}/reports/anomalies.csv",
        "summary_json_key": f"datasets/{dataset_id}/reports/summary.json",
    }


def test_each_dataset_becomes_version_1_with_its_files_figures_and_records():
    old_apps = _migrate(BEFORE)
    try:
        OldDataset = old_apps.get_model("uploads", "Dataset")
        done = OldDataset.objects.create(name="done", status="done", stage="finished", percent=100, anomalies_total=4)
        OldDataset.objects.filter(pk=done.pk).update(**_keys(str(done.pk)), counts={"columns": {"rows_persisted": 1}})
        queued = OldDataset.objects.create(name="queued", status="queued", **_keys("q"))
        database = mongo_connect()
        database["columns"].insert_one({"_id": f"{done.pk}:C1", "dataset_id": str(done.pk), "column_id": "C1"})
        database["browse_nodes"].insert_one(
            {"_id": f"{done.pk}|namespaces|[]|1", "dataset_id": str(done.pk), "kind": "namespaces", "items": []}
        )
    finally:
        _migrate(AFTER)
        _migrate(_latest())  # the later migrations too, so today's models can read the rows

    dataset = Dataset.objects.get(pk=done.pk)
    version = DatasetVersion.objects.get(dataset=dataset)
    assert dataset.current_version == version and version.number == 1 and version.status == "done"
    assert version.anomalies_total == 4 and version.counts == {"columns": {"rows_persisted": 1}}
    assert version.columns.name == f"datasets/{done.pk}/uploads/columns.csv"
    assert version.summary_json.name == f"datasets/{done.pk}/reports/summary.json"
    assert version.records_kept
    column = version_collection(version=version.records_key, kind="columns").find_one({"_id": "C1"})
    assert column == {"_id": "C1", "column_id": "C1"}
    node = version_collection(version=version.records_key, kind="browse_nodes").find_one({"_id": "namespaces|[]|1"})
    assert node["kind"] == "namespaces"
    assert "columns" not in mongo_connect().list_collection_names()  # the shared collections are gone

    waiting = DatasetVersion.objects.get(dataset_id=queued.pk)
    assert waiting.status == "failed" and "process the version again" in waiting.error
    assert Dataset.objects.get(pk=queued.pk).current_version is None
    assert waiting.namespaces.name == "datasets/q/uploads/namespaces.csv"
