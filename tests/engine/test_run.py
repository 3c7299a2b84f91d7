"""pipeline_run: stage order, failure rules, counts, sorting and progress."""

from engine import FILES, SEVERITY, Code, Severity, pipeline_run
from tests.engine.helpers import anomaly_tuples

NAMESPACES = b"namespace_id,namespace_option_name\nN1,One\nN2,Two\n"
DATAPOINTS = b"data_point_id,data_point_name,data_type\nDP1,One,string\n"
COLUMNS = (
    b"column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
    b"C1,N1,db,t,c,DP1\nC2,N2,db,t,c,\n"
)


def tuples(result) -> list[tuple]:
    frame = result.anomalies
    return anomaly_tuples(frame)


def test_codes_and_severities_follow_the_spec():
    assert Code.DUPLICATE_ROW == "duplicate-row"
    assert SEVERITY[Code.UNKNOWN_REFERENCE] is Severity.ERROR
    assert {SEVERITY[c] for c in (Code.WHITESPACE, Code.BLANK_ROW, Code.UNUSED_RECORD, Code.NEAR_DUPLICATE)} == {
        Severity.INFO
    }
    # the spec's 17, and the two of the limits (docs/pipeline.md)
    assert len(SEVERITY) == len(Code) == 19
    assert SEVERITY[Code.FIELD_TOO_LARGE] is Severity.ERROR
    assert SEVERITY[Code.LIMIT_EXCEEDED] is Severity.WARNING


def test_clean_dataset_persists_everything():
    result = pipeline_run(files={"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": COLUMNS})
    assert not result.failed
    assert result.error is None
    assert tuples(result) == []
    assert [result.files[f].rows_persisted for f in FILES] == [2, 1, 2]
    assert result.files["columns"].records["data_point_id"].tolist() == ["DP1", None]


def test_file_level_error_fails_the_dataset_but_other_files_are_still_checked():
    namespaces = b"namespace_id\nN1\n"
    datapoints = b"data_point_id,data_point_name,data_type\nDP1,One,string\nDP1,One,string\nDP2,,string\n"
    result = pipeline_run(files={"namespaces": namespaces, "datapoints": datapoints, "columns": b""})
    assert result.failed
    assert "namespaces" in result.error
    assert "columns" in result.error
    assert tuples(result) == [
        ("namespaces", 1, "namespace_option_name", "header-missing-column"),
        ("datapoints", 3, "", "duplicate-row"),
        ("datapoints", 4, "data_point_name", "required-blank"),
        ("columns", None, "", "file-empty"),
    ]
    datapoints_result = result.files["datapoints"]
    assert (
        datapoints_result.rows_read,
        datapoints_result.rows_persisted,
        datapoints_result.rows_rejected,
        datapoints_result.rows_duplicate,
    ) == (3, 0, 2, 1)
    assert datapoints_result.records.empty
    assert list(datapoints_result.records.columns)[-1] == "line"
    assert result.files["namespaces"].rows_read == 0  # a failed header reads no record


def test_failed_dataset_runs_no_reference_or_catalog_checks():
    columns = COLUMNS + b"C3,N9,db,t,c,DP9\n"
    result = pipeline_run(files={"namespaces": b"\x00", "datapoints": DATAPOINTS, "columns": columns})
    assert tuples(result) == [("namespaces", None, "", "file-not-csv")]


def test_anomalies_are_sorted_by_file_then_line_file_level_first():
    columns = COLUMNS.replace(b"C2,N2,db", b"C2 ,N9,d\xe9") + b"\n"
    result = pipeline_run(files={"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": columns})
    assert tuples(result) == [
        ("namespaces", 3, "", "unused-record"),
        ("columns", None, "", "file-encoding"),
        ("columns", 3, "column_id", "whitespace"),
        ("columns", 3, "namespace_id", "unknown-reference"),
        ("columns", 4, "", "blank-row"),
    ]


def test_counts_add_up_and_progress_is_reported():
    namespaces = NAMESPACES + b"N1,One\nN1,Uno\n\nN3,Three\n"
    seen = []
    result = pipeline_run(
        files={"namespaces": namespaces, "datapoints": DATAPOINTS, "columns": COLUMNS},
        progress=lambda s, p: seen.append((s, p)),
    )
    counts = result.files["namespaces"]
    assert (counts.rows_read, counts.rows_persisted, counts.rows_rejected, counts.rows_duplicate) == (5, 3, 1, 1)
    assert counts.rows_read == counts.rows_persisted + counts.rows_rejected + counts.rows_duplicate
    assert seen[0] == ("reading", 0)
    assert seen[-1] == ("checking", 1)
    assert all(0 <= fraction <= 1 for _, fraction in seen)
    assert {s for s, _ in seen} == {"reading", "checking"}
    assert result.anomalies.columns.tolist() == [
        *("file", "line", "field", "code", "severity", "value"),
        *("key", "variant", "params", "fingerprint"),
    ]
    assert str(result.anomalies["line"].dtype) == "Int64"


def test_missing_file_is_file_empty():
    result = pipeline_run(files={"namespaces": NAMESPACES, "datapoints": DATAPOINTS})
    assert ("columns", None, "", "file-empty") in tuples(result)


def test_each_anomaly_carries_the_key_of_its_record():
    # given a data point line with an invalid data type and a column naming an unknown namespace
    files = {
        "namespaces": b"namespace_id,namespace_option_name\nN1,One\n",
        "datapoints": b"data_point_id,data_point_name,data_type\nDP1,One,strnig\n",
        "columns": COLUMNS,
    }
    # when
    anomalies = pipeline_run(files=files).anomalies
    # then the key is there for record anomalies and blank for file-level ones
    keyed = {(row.file, row.code): row.key for row in anomalies.itertuples()}
    assert keyed[("datapoints", "invalid-value")] == "DP1"
    assert keyed[("columns", "unknown-reference")] == "C2"


def test_each_file_tells_how_it_was_written():
    result = pipeline_run(
        files={
            "namespaces": b"\xef\xbb\xbfnamespace_id;namespace_option_name\r\nN1;One\r\nN2;Two\r\n",
            "datapoints": "data_point_id|data_point_name|data_type\nDP1|Zürich|string\rDP2|x|string".encode("cp1252"),
            "columns": COLUMNS.replace(b",", b"\t"),
        }
    )
    assert result.files["namespaces"].dialect == {
        "encoding": "UTF-8 with byte-order mark",
        "line_ends": "CRLF",
        "delimiter": "semicolon",
    }
    assert result.files["datapoints"].dialect == {
        "encoding": "cp1252 (not UTF-8)",
        "line_ends": "mixed: LF, CR",
        "delimiter": "pipe",
    }
    assert result.files["columns"].dialect["delimiter"] == "tab"


def test_a_failed_dataset_says_which_rows_had_errors_and_which_were_never_read():
    datapoints = b"data_point_id,data_point_nam,data_type\nDP1,One,string\nDP2,Two,string\n\nDP3,Three,string\n"
    namespaces = NAMESPACES + b",Blank key\n"
    result = pipeline_run(files={"namespaces": namespaces, "datapoints": datapoints, "columns": COLUMNS})
    assert result.failed
    unread = result.files["datapoints"]
    assert (unread.rows_read, unread.rows_unread) == (0, 3)  # the spec's count, and what the file holds
    healthy = result.files["namespaces"]
    assert (healthy.rows_read, healthy.rows_rejected, healthy.rows_with_errors) == (3, 3, 1)
