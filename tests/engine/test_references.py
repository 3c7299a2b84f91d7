"""References: a column must name a persisted namespace and, when given, a persisted data point."""

from engine import pipeline_run
from tests.engine.helpers import WITH_VALUE, anomaly_tuples

NAMESPACES = "namespace_id,namespace_option_name\nN1,One\nN2,\n"
DATAPOINTS = "data_point_id,data_point_name,data_type\nDP1,One,string\nDP2,Two,string\n"
COLUMNS = "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id"


def found(columns_rows: list[str]) -> list[tuple]:
    files = {
        "namespaces": NAMESPACES.encode(),
        "datapoints": DATAPOINTS.encode(),
        "columns": "\n".join([COLUMNS, *columns_rows]).encode(),
    }
    result = pipeline_run(files=files)
    frame = result.anomalies[result.anomalies["code"] == "unknown-reference"]
    return result, anomaly_tuples(frame, WITH_VALUE)


def test_unknown_and_rejected_references():
    result, anomalies = found(
        [
            "C1,N1,db,t,c,DP1",
            "C2,N2,db,t,c,DP1",  # N2 was rejected (blank name): not persisted
            "C3,N1,db,t,c,DP9",
            "C4,N9,db,t,c,DP9",  # both unknown: two anomalies
            "C5,N1,db,t,c,",  # no data point named: nothing to resolve
        ]
    )
    assert anomalies == [
        ("columns", 3, "namespace_id", "unknown-reference", "N2"),
        ("columns", 4, "data_point_id", "unknown-reference", "DP9"),
        ("columns", 5, "namespace_id", "unknown-reference", "N9"),
        ("columns", 5, "data_point_id", "unknown-reference", "DP9"),
    ]
    columns = result.files["columns"]
    assert columns.records["column_id"].tolist() == ["C1", "C5"]
    assert (columns.rows_read, columns.rows_persisted, columns.rows_rejected) == (5, 2, 3)


def test_rows_rejected_earlier_get_no_reference_anomaly():
    _, anomalies = found(["C1,N9,db,t,c,DP1", "C1,N9,db,t,c,DP1", "C1,N8,db,t,c,DP1", ",N9,db,t,c,DP1"])
    assert anomalies == [("columns", 2, "namespace_id", "unknown-reference", "N9")]


def test_references_compare_after_trimming():
    _, anomalies = found(["C1, N1 ,db,t,c,DP1 "])
    assert anomalies == []
