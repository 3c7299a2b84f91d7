"""The browse index is built from the pipeline's records with pandas; no database involved."""

import pandas as pd
import pytest

from catalog.read_model import PAGE_SIZE, browse_nodes_build, node_id
from catalog.search_index import search_match, search_rows
from engine import SCHEMAS, pipeline_run


@pytest.fixture
def nodes(sample_files) -> dict[str, dict]:
    result = pipeline_run(files=sample_files)
    records = {file: part.records for file, part in result.files.items()}
    return {node["_id"]: node for node in browse_nodes_build(records=records, anomalies=result.anomalies)}


def test_every_level_counts_what_is_below_it(nodes):
    namespaces = nodes[node_id("namespaces", [])]["items"]
    assert [(n["namespace_id"], n["databases"], n["columns"]) for n in namespaces] == [
        ("N1", 1, 3),
        ("N2", 1, 2),
        ("N3", 1, 2),
    ]
    databases = nodes[node_id("databases", ["N1"])]["items"]
    assert databases == [{"name": "fund_master", "tables": 2, "rows": 3}]
    tables = nodes[node_id("tables", ["N1", "fund_master"])]["items"]
    assert tables == [{"name": "prices", "columns": 1, "rows": 1}, {"name": "returns", "columns": 2, "rows": 2}]
    columns = nodes[node_id("columns", ["N3", "esg_store", "carbon"])]["items"]
    assert [(c["name"], c["datapoints"]) for c in columns] == [("intensity", 1), ("intensity_wavg", 1)]


def test_a_column_lists_its_mappings_with_the_data_point_name(nodes):
    columns = nodes[node_id("columns", ["N1", "fund_master", "returns"])]["items"]
    [mapping] = next(column for column in columns if column["name"] == "tr_1y")["mappings"]
    assert mapping["column_id"] == "C1" and mapping["data_point_name"] == "Total Return 1 Year"
    assert mapping["owner"] == "Equity Research" and mapping["line"] == 2


def test_a_data_point_lists_every_column_that_uses_it(nodes):
    usages = nodes[node_id("usages", ["DP3"])]["items"]
    assert [u["column"] for u in usages] == ["intensity", "intensity_wavg"]
    assert node_id("usages", ["DP5"]) not in nodes  # unused


def test_anomaly_pages_exist_for_every_filter_combination(nodes):
    everything = nodes[node_id("anomalies", ["", "", ""])]
    assert everything["total"] == 10
    assert [a["line"] for a in everything["items"]][:2] == [5, 6]
    by_code = nodes[node_id("anomalies", ["", "unknown-reference", ""])]
    assert [(a["file"], a["line"]) for a in by_code["items"]] == [("columns", 7), ("columns", 9)]
    combined = nodes[node_id("anomalies", ["columns", "", "info"])]
    assert {a["code"] for a in combined["items"]} == {"whitespace", "blank-row"}
    assert nodes[node_id("record_anomalies", ["4"])]["items"][0]["code"] == "invalid-value"


def test_the_search_index_finds_data_points_and_column_rows_in_browse_order(nodes):
    def fetch(kind, path):
        return nodes.get(node_id(kind, path))

    found = search_match(fetch=fetch, query="carbon")
    assert [d["data_point_id"] for d in search_rows(fetch=fetch, kind="datapoint", positions=found.datapoints)] == [
        "DP3"
    ]
    columns = search_rows(fetch=fetch, kind="column", positions=found.columns)
    assert [(c["table"], c["column"]) for c in columns] == [("carbon", "intensity"), ("carbon", "intensity_wavg")]
    by_id = search_match(fetch=fetch, query="c1")
    assert [c["column_id"] for c in search_rows(fetch=fetch, kind="column", positions=by_id.columns)][0] == "C1"


def test_long_lists_are_paged():
    columns = pd.DataFrame(
        {
            "column_id": [f"C{i}" for i in range(PAGE_SIZE + 5)],
            "namespace_id": "N1",
            "dataset_database_name": "db",
            "dataset_table_name": "t",
            "dataset_column_name": [f"c{i:03d}" for i in range(PAGE_SIZE + 5)],
            "data_point_id": None,
            "dataset_owner_name": None,
            "line": range(2, PAGE_SIZE + 7),
        }
    )
    records = {
        "namespaces": pd.DataFrame({"namespace_id": ["N1"], "namespace_option_name": ["One"]}),
        "datapoints": pd.DataFrame({field: pd.Series([], dtype=object) for field in SCHEMAS["datapoints"].fields}),
        "columns": columns,
    }
    nodes = {n["_id"]: n for n in browse_nodes_build(records=records, anomalies=pd.DataFrame())}
    second = nodes[node_id("columns", ["N1", "db", "t"], page=2)]
    assert second["pages"] == 2 and second["total"] == PAGE_SIZE + 5 and len(second["items"]) == 5
