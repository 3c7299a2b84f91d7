"""Catalog: unused-record and near-duplicate over persisted records."""

from engine import pipeline_run
from engine.persisted import variants_find
from tests.engine.helpers import with_messages

NAMESPACES = "namespace_id,namespace_option_name\nN1,One\nN2,Two\nN3,\n"
DATAPOINTS = "data_point_id,data_point_name,data_type\nDP1,One,string\nDP2,Two,string\n"
COLUMNS = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,"
    "data_point_id,dataset_owner_name"
)


def run(columns_rows: list[str], namespaces: str = NAMESPACES):
    files = {
        "namespaces": namespaces.encode(),
        "datapoints": DATAPOINTS.encode(),
        "columns": "\n".join([COLUMNS, *columns_rows]).encode(),
    }
    result = pipeline_run(files=files)
    frame = with_messages(result.anomalies[result.anomalies["code"].isin(["unused-record", "near-duplicate"])])
    return [tuple(r) for r in frame[["file", "line", "field", "code", "value", "message"]].itertuples(index=False)]


def test_unused_records_are_persisted_records_no_persisted_column_names():
    found = run(["C1,N1,db,t,c,DP1,", "C2,N2,db,t,c,DP9,"])  # C2 rejected: N2 and DP2 unused
    assert [t[:5] for t in found] == [
        ("namespaces", 3, "", "unused-record", "N2"),
        ("datapoints", 3, "", "unused-record", "DP2"),
    ]


def test_near_duplicate_by_form_names_the_frequent_value():
    rows = [f"C{i},N1,fund_master,t,c{i},DP1,Equity Research" for i in range(6)] + [
        "C10,N2,Fund Master,t,c,DP2,Equity Research",
        "C11,N2,FUND-MASTER,t,c,DP2, equity research",
    ]
    found = run(rows)
    assert found == [
        (
            "columns",
            8,
            "dataset_database_name",
            "near-duplicate",
            "Fund Master",
            '"Fund Master" looks like a variant of "fund_master" (used by 6 records)',
        ),
        (
            "columns",
            9,
            "dataset_database_name",
            "near-duplicate",
            "FUND-MASTER",
            '"FUND-MASTER" looks like a variant of "fund_master" (used by 6 records)',
        ),
        (
            "columns",
            9,
            "dataset_owner_name",
            "near-duplicate",
            " equity research",
            '" equity research" looks like a variant of "Equity Research" (used by 7 records)',
        ),
    ]


def test_near_duplicate_needs_three_times_the_uses():
    rows = [f"C{i},N{1 + i % 2},esg_store,t,c{i},DP{1 + i % 2}," for i in range(3)] + [
        f"C{i},N1,esg_stor,t,c{i},DP1," for i in range(10, 12)
    ]
    assert run(rows) == []


def test_variants_by_one_edit_need_five_characters():
    variants = variants_find({"esg_store": 9, "esg_stroe": 3, "esg_stor": 1, "abcd": 9, "abce": 1, "esg_storex": 2})
    assert variants == {
        "esg_stroe": ("esg_store", 9),
        "esg_stor": ("esg_store", 9),
        "esg_storex": ("esg_store", 9),
    }


def test_variant_names_the_most_frequent_then_the_smaller_value():
    assert variants_find({"alpha_db": 6, "alpha-db": 6, "Alpha DB": 1}) == {"Alpha DB": ("alpha-db", 6)}
