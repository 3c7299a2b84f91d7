"""What changed between a CSV version and a workbook version compares records, not formats."""

import pytest

from engine import pipeline_run
from groundtruth import sample_generate
from reports.diff import version_diff


@pytest.mark.parametrize("workbook", ["per-file", "one"])
def test_the_same_records_as_csv_then_as_a_workbook_changed_nothing(workbook):
    # given a version from CSV files (definitions with line breaks inside quotes), then the same
    # records from workbook sheets, where every record is on another line
    before = pipeline_run(files=sample_generate(seed=13, anomaly_rate=0, line_ending="\r\n").files)
    after = pipeline_run(files=sample_generate(seed=13, anomaly_rate=0, line_ending="\r\n", workbook=workbook).files)
    assert before.files["datapoints"].records["line"].tolist() != after.files["datapoints"].records["line"].tolist()
    # then no record changed and no anomaly is new or resolved
    diff = version_diff(before=before, after=after)
    assert diff.empty, diff.summary
