"""Report rendering: anomalies.csv bytes and the summary.json dict."""

import csv
import hashlib
import io
from datetime import UTC, datetime

import pandas as pd

from engine import CATALOGUE, anomaly_fingerprints, pipeline_run
from engine.codes import Code, anomalies_empty, anomaly_frame
from engine.report import anomalies_csv, summary_dict


def test_anomalies_csv_has_the_spec_header_and_renders_message_and_fix_from_the_values():
    frame = pd.concat(
        [
            anomaly_frame(
                file="columns", code=Code.FILE_ENCODING, lines=[None], values="", variant="line", params={"line": 4}
            ),
            anomaly_frame(file="columns", code=Code.WHITESPACE, field="dataset_column_name", lines=[8], values=" x "),
            anomaly_frame(
                file="columns",
                code=Code.INVALID_VALUE,
                field="dataset_owner_name",
                lines=[9],
                values="Equity Reserch",
                variant="closest",
                params={"allowed": "a, b", "closest": "Equity Research"},
            ),
        ]
    )
    rows = list(csv.reader(io.StringIO(anomalies_csv(frame).decode("utf-8"), newline="")))
    assert rows[0] == ["file", "line", "field", "code", "severity", "value", "message", "fix", "status"]
    assert rows[1] == [
        *("columns", "", "", "file-encoding", "warning", ""),
        "not UTF-8 (the first undecodable byte is on line 4); read as cp1252",
        CATALOGUE[Code.FILE_ENCODING].fix,
        "new",
    ]
    assert rows[2][:7] == [
        "columns",
        "8",
        "dataset_column_name",
        "whitespace",
        "info",
        " x ",
        "surrounding whitespace trimmed",
    ]
    assert rows[3][7] == 'replace "Equity Reserch" with "Equity Research"'
    assert all(row[7] for row in rows[1:])  # a fix is never blank


def test_anomalies_csv_writes_the_status_the_frame_has():
    frame = anomaly_frame(file="namespaces", code=Code.BLANK_ROW, lines=[3, 4], values="")
    frame["status"] = ["known", "new"]

    rows = list(csv.reader(io.StringIO(anomalies_csv(frame).decode("utf-8"), newline="")))

    assert [row[8] for row in rows[1:]] == ["known", "new"]


def test_anomalies_csv_guards_formulas_and_cuts_values():
    values = ["=SUM(A1)", "+1", "-2", "@x", "\tx", "\rx", "ok", "é" * 300]
    frame = anomaly_frame(
        file="columns",
        code=Code.EXTRA_CELL,
        lines=list(range(2, 10)),
        values=values,
        params={"cells": 8, "width": 7},
    )
    rows = list(csv.reader(io.StringIO(anomalies_csv(frame).decode("utf-8"), newline="")))
    assert [r[5] for r in rows[1:]] == ["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tx", "'\rx", "ok", "é" * 200]
    assert {r[6] for r in rows[1:]} == {"8 cells for 7 header columns; the extra ones dropped"}


def test_anomalies_csv_of_no_anomalies_is_the_header():
    assert anomalies_csv(anomalies_empty()) == b"file,line,field,code,severity,value,message,fix,status\r\n"


def test_a_fingerprint_is_the_sha1_of_its_parts_and_ignores_the_line_of_a_keyed_record():
    keyed = anomaly_frame(
        file="columns", code=Code.WHITESPACE, field="dataset_column_name", lines=[8, 80], values=" x ", keys="C7"
    )
    unkeyed = anomaly_frame(file="namespaces", code=Code.BLANK_ROW, lines=[3, 4], values="")
    header = anomaly_frame(file="columns", code=Code.FILE_EMPTY, lines=[None], values="")

    same_record, lines = anomaly_fingerprints(keyed), anomaly_fingerprints(unkeyed)

    parts = ("columns", "whitespace", "dataset_column_name", "kC7", " x ")
    expected = hashlib.sha1("".join(f"{len(p)}:{p}" for p in parts).encode()).hexdigest()
    assert same_record.tolist() == [expected, expected]  # the record moved from line 8 to 80
    assert lines[0] != lines[1]  # no key: the line tells them apart
    assert anomaly_fingerprints(header)[0] == hashlib.sha1(b"7:columns10:file-empty0:0:0:").hexdigest()
    # fixed for good: a stored fingerprint must match the one a later version computes
    assert expected == "236261ec4efd15858390c8ed4cb85b857f035e6e"  # printf … | sha1sum


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
    assert summary["anomalies_total"] == 0
    assert summary["error"] == "boom"


def test_anomalies_csv_without_a_result_is_the_header():
    assert anomalies_csv(None) == b"file,line,field,code,severity,value,message,fix,status\r\n"
