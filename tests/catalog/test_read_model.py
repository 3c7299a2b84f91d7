"""The browse index is built from the pipeline's records with pandas; no database involved."""

import bson
import numpy as np
import pandas as pd
import pytest

from catalog import read_model
from catalog.nodes import NODE_HEADER, PAGE_SIZE, node_id, node_pack, node_unpack
from catalog.read_model import browse_nodes_build
from catalog.search_query import search_match, search_rows
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
    assert mapping["column_id"] == "C1"
    assert mapping["data_point_name"] == "Total Return 1 Year"
    assert mapping["owner"] == "Equity Research"
    assert mapping["line"] == 2


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
    assert second["pages"] == 2
    assert second["total"] == PAGE_SIZE + 5
    assert len(second["items"]) == 5


def _columns_mapped(count: int, *, name: str = "Data point") -> dict[str, pd.DataFrame]:
    """One namespace, one data point, and one physical column mapped `count` times."""
    files = {
        "namespaces": b"namespace_id,namespace_option_name\nN1,n\n",
        "datapoints": f"data_point_id,data_point_name,data_type\nDP1,{name},string\n".encode(),
        "columns": (
            "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
            + "".join(f"C{i},N1,db,t,c,DP1\n" for i in range(count))
        ).encode(),
    }
    result = pipeline_run(files=files)
    return {file: part.records for file, part in result.files.items()}


def test_a_column_mapped_very_often_spills_its_mappings_into_pages_that_fit_mongodb():
    # given one physical column mapped 30,000 times, each mapping naming a data point of 2,000 characters
    records = _columns_mapped(30_000, name="x" * 2_000)
    # when the browse index is built
    nodes = list(browse_nodes_build(records=records, anomalies=pd.DataFrame()))
    # then every node stays far below MongoDB's 16 MiB, as BSON
    assert max(len(bson.encode(node)) for node in nodes) < 14 * 2**20
    # and the column's item keeps the first mappings, the rest in its own pages, none lost
    [table] = [n for n in nodes if n["kind"] == "columns"]
    [item] = table["items"]
    spilled = [n for n in nodes if n["kind"] == "mappings"]
    assert item["rows"] == 30_000
    assert item["more_mappings"] == len(spilled) > 1
    mappings = item["mappings"] + [m for n in sorted(spilled, key=lambda n: n["page"]) for m in n["items"]]
    assert [m["column_id"] for m in mappings] == [f"C{i}" for i in range(30_000)]


def test_pages_close_early_when_their_items_are_long():
    items = [{"name": "x" * 1_000_000} for _ in range(10)]
    sizes = np.array([1_000_000] * 10)
    nodes = list(read_model._nodes("tables", ["N1"], items, sizes=sizes))
    assert [len(n["items"]) for n in nodes] == [3, 3, 3, 1]
    assert {n["pages"] for n in nodes} == {4}


def test_namespaces_with_long_names_are_paged_within_the_budget():
    names = "".join(f"N{i},{'n' * 60_000}\n" for i in range(60))
    files = {
        "namespaces": f"namespace_id,namespace_option_name\n{names}".encode(),
        "datapoints": b"data_point_id,data_point_name,data_type\nDP1,d,string\n",
        "columns": b"column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name\n",
    }
    result = pipeline_run(files=files)
    records = {file: part.records for file, part in result.files.items()}
    nodes = [n for n in browse_nodes_build(records=records, anomalies=result.anomalies) if n["kind"] == "namespaces"]
    assert len(nodes) > 1
    assert sum(len(n["items"]) for n in nodes) == 60
    assert max(len(bson.encode(node)) for node in nodes) < 14 * 2**20


def test_a_namespace_export_with_long_values_is_paged_within_the_budget():
    # given 1,000 data points named with 10,000 characters each, all mapped in one namespace
    count, width = 1_000, 10_000
    files = {
        "namespaces": b"namespace_id,namespace_option_name\nN1,n\n",
        "datapoints": (
            "data_point_id,data_point_name,data_type\n"
            + "".join(f"DP{i},{chr(97 + i % 26) * width},string\n" for i in range(count))
        ).encode(),
        "columns": (
            "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
            + "".join(f"C{i},N1,db,t,c{i},DP{i}\n" for i in range(count))
        ).encode(),
    }
    result = pipeline_run(files=files)
    records = {file: part.records for file, part in result.files.items()}
    # when the browse index is built
    nodes = [
        n for n in browse_nodes_build(records=records, anomalies=result.anomalies) if n["kind"] == "export_datapoints"
    ]
    # then its export pages close early (500 a page would pass the budget) and lose nothing
    assert len(nodes) > -(-count // read_model.EXPORT_PAGE_SIZE)
    assert max(len(bson.encode(node)) for node in nodes) < 14 * 2**20
    items = [item for node in sorted(nodes, key=lambda n: n["page"]) for item in node["items"]]
    assert [item["data_point_id"] for item in items] == [f"DP{i}" for i in range(count)]


def test_every_node_is_stored_packed_and_read_back_as_it_was_built(sample_files):
    result = pipeline_run(files=sample_files)
    records = {file: part.records for file, part in result.files.items()}
    nodes = list(browse_nodes_build(records=records, anomalies=result.anomalies))
    assert {node["kind"] for node in nodes} >= {"columns", "usages", "anomalies", "search_rows", "export_rows"}
    for node in nodes:
        # when a node is packed for the server
        document = node_pack(node)
        # then only its header stays as fields, the rest is compressed bytes
        assert set(document) <= {*NODE_HEADER, "packed", "data"}
        assert isinstance(document["packed"], bytes)
        # and unpacking gives back exactly the node that was built
        assert node_unpack(document) == node


def test_no_document_is_no_node():
    assert node_unpack(None) is None
