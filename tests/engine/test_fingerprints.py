"""The engine's fingerprints of a frame (pandas) are the contract's of one anomaly (plain Python,
which the pages and the status of older documents use): the same parts, the same text, the same hash."""

import pandas as pd

from contract import anomaly_fingerprint, anomaly_group_fingerprint
from engine.codes import anomaly_fingerprints, anomaly_group_fingerprints

ANOMALIES = pd.DataFrame(
    {
        "file": ["columns", "columns", "datapoints", "namespaces", "columns", "datapoints"],
        "code": ["whitespace", "duplicate-key", "invalid-value", "file-empty", "missing-cell", "extra-cell"],
        "field": ["dataset_column_name", "column_id", "data_type", "", "", ""],
        "key": ["C7", "", "DP3", "", None, ""],
        "line": pd.array([8, 12, None, None, 3, 40], dtype="Int64"),
        "value": [" tr_3y ", "C1", "strnig", "", "a,b", "Zürich:1:2"],
    }
)


def _rows():
    for row in ANOMALIES.astype(object).where(ANOMALIES.notna(), None).to_dict("records"):
        yield {name: row[name] or "" for name in ("file", "code", "field", "key", "value")}, row["line"]


def test_the_frame_and_one_anomaly_give_the_same_fingerprint():
    one_by_one = [anomaly_fingerprint(**parts, line=line) for parts, line in _rows()]

    assert anomaly_fingerprints(ANOMALIES).tolist() == one_by_one
    assert len(set(one_by_one)) == len(one_by_one)


def test_the_frame_and_one_group_give_the_same_group_fingerprint():
    one_by_one = [
        anomaly_group_fingerprint(file=parts["file"], code=parts["code"], field=parts["field"], value=parts["value"])
        for parts, _ in _rows()
    ]

    assert anomaly_group_fingerprints(ANOMALIES).tolist() == one_by_one
