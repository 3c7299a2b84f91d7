"""Bounded work per file: past a limit the file gets one `limit-exceeded` anomaly, and nothing raises."""

import json

import pytest

from engine import Code, Limits, pipeline_run
from engine.report import anomalies_csv, summary_dict
from groundtruth.hostile import hostile_shapes
from tests.conftest import SAMPLE_DIR
from tests.engine.helpers import with_messages

NAMESPACES_HEADER = "namespace_id,namespace_option_name"


def _sample(**replaced: bytes) -> dict[str, bytes]:
    files = {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints", "columns")}
    return {**files, **replaced}


def _codes(result, file: str) -> list[str]:
    return result.anomalies.loc[result.anomalies["file"] == file, "code"].tolist()


def _messages(result, code: Code) -> list[str]:
    return with_messages(result.anomalies).loc[result.anomalies["code"] == code, "message"].tolist()


def test_anomalies_past_the_limit_are_counted_not_listed():
    # given 1,000 blank lines and a limit of 10 anomalies per code
    namespaces = (NAMESPACES_HEADER + "\nN1,a\n" + "\n" * 1000 + "N2,b\n").encode()
    # when the dataset is checked
    result = pipeline_run(files=_sample(namespaces=namespaces), limits=Limits(anomalies_per_code=10))
    # then ten are listed, one anomaly says how many more there were, and the records are kept
    assert _codes(result, "namespaces").count("blank-row") == 10
    [message] = _messages(result, Code.LIMIT_EXCEEDED)
    assert "blank-row: 990 more anomalies found but not listed" in message
    assert result.omitted["namespaces"] == {"blank-row": 990}
    assert result.partial
    assert result.files["namespaces"].rows_read == 2
    summary = summary_dict(
        dataset_id="d", name="n", status="done", error=None, result=result, started_at=None, finished_at=None
    )
    assert summary["partial"] is True
    assert summary["files"]["namespaces"]["anomalies_not_listed"] == {"blank-row": 990}


def test_a_header_wider_than_the_limit_is_read_up_to_it():
    # given a header of 50,000 columns whose two fields come first
    header = NAMESPACES_HEADER + "".join(f",extra{i}" for i in range(50_000))
    namespaces = (header + "\nN1,a\n").encode()
    # when read with a limit of 1,000 header columns and 20 anomalies per code
    result = pipeline_run(
        files=_sample(namespaces=namespaces), limits=Limits(header_columns=1_000, anomalies_per_code=20)
    )
    # then the columns past it are ignored unread, and two anomalies say what was cut
    assert _codes(result, "namespaces").count("header-unknown-column") == 20
    messages = _messages(result, Code.LIMIT_EXCEEDED)
    assert any("the header has 50,002 columns; only the first 1,000 were read" in m for m in messages)
    assert any("header-unknown-column: 978 more" in m for m in messages)
    # and the record is read, its missing cells counted against the whole header
    assert result.files["namespaces"].rows_read == 1
    assert "2 cells for 50002 header columns" in " ".join(_messages(result, Code.MISSING_CELL))


def test_cells_past_the_line_limit_are_dropped_unread():
    # given a record with 30,000 cells
    namespaces = (NAMESPACES_HEADER + "\nN1,a" + "," * 30_000 + "x\nN2,b\n").encode()
    # when read with a limit of 100 cells per line
    result = pipeline_run(files=_sample(namespaces=namespaces), limits=Limits(header_columns=50, line_cells=100))
    # then its extra cells are reported with their true count, and its values are kept
    assert "30002 cells for 2 header columns" in _messages(result, Code.EXTRA_CELL)[0]
    assert any("1 records have more than 100 cells" in m for m in _messages(result, Code.LIMIT_EXCEEDED))
    records = result.files["namespaces"].records
    assert records["namespace_option_name"].tolist() == ["a", "b"]


def test_a_value_longer_than_the_field_limit_rejects_its_record():
    namespaces = (NAMESPACES_HEADER + "\nN1," + "a" * 500 + "\nN2,b\n").encode()
    result = pipeline_run(files=_sample(namespaces=namespaces), limits=Limits(field_chars=100))
    [row] = with_messages(result.anomalies[result.anomalies["code"] == "field-too-large"]).to_dict("records")
    assert row["field"] == "namespace_option_name"
    assert row["severity"] == "error"
    assert row["line"] == 2
    assert row["message"] == "500 characters; the limit is 100; record rejected"
    part = result.files["namespaces"]
    assert (part.rows_read, part.rows_persisted, part.rows_rejected) == (2, 1, 1)


def test_a_header_of_one_huge_cell_fails_the_file_without_raising():
    result = pipeline_run(files=_sample(columns=b"x" * 300_000))
    assert result.failed
    assert "header-missing-column" in _codes(result, "columns")


@pytest.mark.parametrize("shape", sorted(hostile_shapes(20_000)))
def test_every_hostile_shape_gives_both_reports(shape):
    # given a hostile file in place of the columns file
    files = _sample(columns=hostile_shapes(20_000)[shape])
    # when the engine runs
    result = pipeline_run(files=files, limits=Limits(anomalies_per_code=100))
    # then it returns a result whose reports render, with counts that add up
    assert result.failed == bool(result.error)
    for part in result.files.values():
        assert part.rows_read == part.rows_persisted + part.rows_rejected + part.rows_duplicate
    per_code = result.anomalies.groupby(["file", "code"]).size()
    assert per_code.max() <= 100
    assert anomalies_csv(result.anomalies).startswith(b"file,line,field,code,severity,value,message,fix,status\r\n")
    summary = summary_dict(
        dataset_id="d", name="n", status="x", error=result.error, result=result, started_at=None, finished_at=None
    )
    assert json.dumps(summary)


def test_limits_from_settings_keep_the_defaults_for_what_is_unset():
    limits = Limits.from_settings({"header_columns": None, "field_chars": 1_000, "unknown": 3})
    assert limits.header_columns == Limits().header_columns
    assert limits.field_chars == 1_000
    with pytest.raises(ValueError, match="field_chars above"):
        Limits(field_chars=10**9)


def test_an_error_while_checking_makes_the_file_not_csv_instead_of_raising(monkeypatch):
    # given a check that fails on a case the engine does not know
    def broken(**kwargs):
        raise RuntimeError("unforeseen")

    monkeypatch.setattr("engine.run.values_check", broken)
    # when the dataset is checked
    result = pipeline_run(files=_sample())
    # then every file is refused as not CSV, with the reason, and the result is failed
    assert result.failed
    assert "could not be read as CSV (RuntimeError: unforeseen)" in _messages(result, "file-not-csv")[0]
    assert set(result.anomalies["code"]) == {"file-not-csv"}
