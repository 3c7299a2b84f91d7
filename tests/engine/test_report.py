"""Report rendering: anomalies.csv bytes and the summary.json dict."""

import csv
import io
from datetime import UTC, datetime

import pandas as pd

from engine import pipeline_run
from engine.codes import Code, anomalies_empty, anomaly_frame
from engine.report import anomalies_csv, summary_dict


def test_anomalies_csv_header_and_empty_line_for_file_level():
    frame = pd.concat(
        [
            anomaly_frame(file="columns", code=Code.FILE_ENCODING, lines=[None], values="", message="not UTF-8"),
            anomaly_frame(
                file="columns",
                code=Code.WHITESPACE,
                field="dataset_column_name",
                lines=[8],
                values=" x ",
                message="trimmed",
            ),
        ]
    )
    text = anomalies_csv(frame).decode("utf-8")
    assert text.splitlines() == [
        "file,line,field,code,severity,value,message",
        "columns,,,file-encoding,warning,,not UTF-8",
        "columns,8,dataset_column_name,whitespace,info, x ,trimmed",
    ]


def test_anomalies_csv_guards_formulas_and_cuts_values():
    values = ["=SUM(A1)", "+1", "-2", "@x", "\tx", "\rx", "ok", "é" * 300]
    frame = anomaly_frame(file="columns", code=Code.EXTRA_CELL, lines=list(range(2, 10)), values=values, message="m")
    rows = list(csv.reader(io.StringIO(anomalies_csv(frame).decode("utf-8"), newline="")))
    assert [r[5] for r in rows[1:]] == ["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tx", "'\rx", "ok", "é" * 200]


def test_anomalies_csv_of_no_anomalies_is_the_header():
    assert anomalies_csv(anomalies_empty()) == b"file,line,field,code,severity,value,message\r\n"


def test_summary_dict_shape():
    files = {
        "namespaces": b"namespace_id,namespace_option_name\nN1,a\nN1,a\nN2,\n",
        "datapoints": b"data_point_id,data_point_name,data_type\nDP1,x,string\n",
        "columns": b"column_id,namespace_id,dataset_database_name,dataset_table_name,"
        b"dataset_column_name,data_point_id\n"
        b"C1,N1,db,t,c,DP1\n",
    }
    result = pipeline_run(files=files)
    started = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    summary = summary_dict(
        dataset_id="abc",
        name="demo",
        status="done",
        error=None,
        result=result,
        started_at=started,
        finished_at="2025-01-02T03:04:06+00:00",
    )
    assert summary == {
        "dataset_id": "abc",
        "name": "demo",
        "status": "done",
        "error": None,
        "files": {
            "namespaces": {
                "rows_read": 3,
                "rows_persisted": 1,
                "rows_rejected": 1,
                "anomalies": {"duplicate-row": 1, "required-blank": 1},
            },
            "datapoints": {"rows_read": 1, "rows_persisted": 1, "rows_rejected": 0, "anomalies": {}},
            "columns": {"rows_read": 1, "rows_persisted": 1, "rows_rejected": 0, "anomalies": {}},
        },
        "anomalies_total": 2,
        "partial": False,
        "started_at": "2025-01-02T03:04:05+00:00",
        "finished_at": "2025-01-02T03:04:06+00:00",
    }


def test_summary_dict_without_a_result_has_every_file():
    summary = summary_dict(
        dataset_id=1, name="n", status="failed", error="boom", result=None, started_at=None, finished_at=None
    )
    assert set(summary["files"]) == {"namespaces", "datapoints", "columns"}
    assert summary["anomalies_total"] == 0 and summary["error"] == "boom"


def test_anomalies_csv_without_a_result_is_the_header():
    assert anomalies_csv(None) == b"file,line,field,code,severity,value,message\r\n"
