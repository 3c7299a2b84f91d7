"""The tiny sample dataset gives exactly the anomalies it expects, and the expected record counts."""

import csv
from pathlib import Path

from engine import FILES, pipeline_run
from tests.engine.helpers import anomaly_tuples

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


def test_sample_anomalies_and_counts():
    # given the sample files and their expected anomalies
    files = {name: (SAMPLE / f"{name}.csv").read_bytes() for name in FILES}
    with open(SAMPLE / "expected_anomalies.csv", newline="", encoding="utf-8") as handle:
        expected = {(r["file"], int(r["line"]), r["field"], r["code"]) for r in csv.DictReader(handle)}
    # when run
    result = pipeline_run(files=files)
    # then
    found = set(anomaly_tuples(result.anomalies))
    assert found == expected
    assert len(result.anomalies) == len(expected)
    assert not result.failed
    persisted = {name: result.files[name].rows_persisted for name in FILES}
    # columns: 10 records read, C6 and C8 rejected (unknown references), line 11 dropped as a copy of line 2
    assert persisted == {"namespaces": 3, "datapoints": 5, "columns": 7}
    assert [len(result.files[name].records) for name in FILES] == [3, 5, 7]
    columns = result.files["columns"]
    assert (columns.rows_read, columns.rows_rejected, columns.rows_duplicate) == (10, 2, 1)
