"""version_snapshot: a version saved and loaded back compares as identical to the original."""

import io
import json
import zipfile

import pandas as pd
import pytest

from engine import FILES, pipeline_run
from groundtruth import sample_generate
from reports.diff import version_diff
from reports.diff_snapshot import version_snapshot, version_snapshot_load

NAMESPACES = "namespace_id,namespace_option_name,namespace_option_standard_name,extra\nN1,One,,x\n\nN2, Two ,TWO,y\n"
DATAPOINTS = (
    "data_point_id,data_point_name,data_type,approved_abbreviations,is_derived,data_point_definition\n"
    'DP1,One,text,a| b,Y,"two\nlines"\nDP2,Two,int,,maybe,"a lone\rCR"\nDP3,=Three,string,,,\n'
)
COLUMNS = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
    "C1,N1,db,t,c1,DP1\nC2,N2,db,t,c2,DP2\nC3,N3,db,t,c3,\n"
)


def run(**texts):
    files = {"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": COLUMNS, **texts}
    return pipeline_run(files={name: text.encode() for name, text in files.items()})


def test_a_snapshot_loads_back_with_the_records_types_and_anomalies():
    # given a version with lists, booleans, a raw invalid flag, blanks, multi-line text and anomalies
    original = run()
    # when it is saved and loaded back
    loaded = version_snapshot_load(version_snapshot(original))
    # then the records hold the same values, of the same types
    records = loaded.files["datapoints"].records.set_index("data_point_id")
    assert records.loc["DP1", "approved_abbreviations"] == ["a", "b"]
    assert records.loc["DP2", "approved_abbreviations"] == []
    assert records.loc["DP1", "is_derived"] is True
    assert records.loc["DP2", "is_derived"] == "maybe"
    assert records.loc["DP3", "is_derived"] is None
    assert records.loc["DP1", "data_point_definition"] == "two\nlines"
    assert records.loc["DP2", "data_point_definition"] == "a lone\rCR"
    assert records.loc["DP1", "data_type"] == "string"
    assert loaded.files["namespaces"].records["namespace_option_standard_name"].tolist() == [None, "TWO"]
    assert loaded.files["namespaces"].records["line"].tolist() == [2, 4]
    # and the anomalies, counts and status are those of the original
    pd.testing.assert_frame_equal(loaded.anomalies, original.anomalies, check_dtype=False)
    assert loaded.anomalies["line"].isna().sum() == original.anomalies["line"].isna().sum()
    assert loaded.files["namespaces"].rows_read == original.files["namespaces"].rows_read == 2
    # and a diff against the original finds nothing
    assert version_diff(before=loaded, after=original).empty
    assert version_diff(before=original, after=loaded).empty


def test_a_generated_sample_round_trips_without_a_difference():
    original = pipeline_run(files=sample_generate(scale=1, seed=3).files)
    loaded = version_snapshot_load(version_snapshot(original))
    diff = version_diff(before=loaded, after=original)
    assert diff.empty
    assert diff.codes["before"].tolist() == diff.codes["after"].tolist()
    assert [len(loaded.files[name].records) for name in FILES] == [len(original.files[name].records) for name in FILES]


def test_a_failed_version_keeps_its_status_and_anomalies():
    original = run(columns="column_id,namespace_id\nC1,N1\n")
    loaded = version_snapshot_load(version_snapshot(original))
    assert loaded.failed is True
    assert loaded.error == original.error
    assert all(loaded.files[name].records.empty for name in FILES)
    assert version_diff(before=loaded, after=original).empty


def test_a_snapshot_of_another_format_is_refused_with_a_message():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("version.json", json.dumps({"format": 99}))
    with pytest.raises(ValueError, match="unknown snapshot format 99"):
        version_snapshot_load(data.getvalue())
