"""The pipeline against the independent ground truth of `groundtruth/`: for several seeds,
every dialect and every file-level failure, the exact (file, line, field, code) set, counts and status."""

import pandas as pd
import pytest

from engine import FILES, pipeline_run
from groundtruth import DIALECTS as SAMPLE_DIALECTS
from groundtruth import fingerprint, sample_generate
from tests.engine.helpers import anomaly_tuples

SEEDS = (0, 1, 2)
DIALECTS = {
    **SAMPLE_DIALECTS,
    "dense_anomalies": {"anomaly_rate": 0.05, "delimiter": "|", "line_ending": "\r\n", "bom": True},
    "clean": {"anomaly_rate": 0},
}
VARIANTS = ("file-empty", "file-not-csv", "header-missing-column")


def _found(result) -> set:
    return set(anomaly_tuples(result.anomalies))


def _assert_matches(ds, result):
    found, expected = _found(result), ds.expected_set()
    missing, extra = sorted(expected - found, key=str), sorted(found - expected, key=str)
    assert not missing, f"missing {missing[:10]}"
    assert not extra, f"extra {extra[:10]}"
    assert len(result.anomalies) == len(ds.expected), "an anomaly reported twice"
    counts = {name: {count: getattr(result.files[name], count) for count in ds.expected_counts[name]} for name in FILES}
    assert counts == ds.expected_counts
    assert result.failed == (ds.expected_status == "failed")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("dialect", DIALECTS)
def test_pipeline_reports_the_ground_truth(dialect, seed):
    # given a generated dataset in a dialect
    ds = sample_generate(seed=seed, **DIALECTS[dialect])
    # when the pipeline runs on its bytes
    result = pipeline_run(files=ds.files)
    # then it reports exactly what the generator built in
    _assert_matches(ds, result)


@pytest.mark.parametrize("seed", SEEDS + (3,))
@pytest.mark.parametrize("variant", VARIANTS)
def test_pipeline_fails_a_dataset_with_a_broken_file(variant, seed):
    ds = sample_generate(
        seed=seed,
        variant=variant,
        header_style=("plain", "shuffled")[seed % 2],
        encoding=("utf-8", "cp1252")[seed // 2 % 2],
    )
    result = pipeline_run(files=ds.files)
    _assert_matches(ds, result)
    assert result.error
    assert all(result.files[name].records.empty for name in FILES)


EXCEL_SHAPES = ("utf16_le", "utf16_be", "sep_line", "sep_line_utf16", "xlsx_per_file", "xlsx_one_workbook")


@pytest.mark.parametrize(
    ("shape", "variant"),
    [
        (shape, variant)
        for shape in EXCEL_SHAPES
        for variant in VARIANTS
        # one workbook holds all three files: one of them cannot be something else than a workbook
        if (shape, variant) != ("xlsx_one_workbook", "file-not-csv")
    ],
)
def test_excel_shapes_fail_a_dataset_with_a_broken_file(shape, variant):
    ds = sample_generate(seed=4, variant=variant, **SAMPLE_DIALECTS[shape])
    result = pipeline_run(files=ds.files)
    _assert_matches(ds, result)
    assert result.error


@pytest.mark.parametrize("seed", SEEDS)
def test_anomalies_carry_the_values_the_ground_truth_expects(seed):
    # given a generated dataset with duplicates, bad references and near-duplicates
    ds = sample_generate(seed=seed)
    # when the pipeline runs
    anomalies = pipeline_run(files=ds.files).anomalies
    # then each of those anomalies keeps the values its message and fix are made of
    found = {
        (a["file"], int(a["line"]), a["field"], a["code"]): a["params"]
        for a in anomalies.to_dict("records")
        if (a["file"], a["line"], a["field"], a["code"]) in ds.expected_values
    }
    assert set(found) == set(ds.expected_values)
    for where, values in ds.expected_values.items():
        assert {name: found[where].get(name) for name in values} == values, where


def test_fingerprints_are_the_spec_s_restated():
    anomalies = pipeline_run(files=sample_generate(seed=0, **DIALECTS["dense_anomalies"]).files).anomalies
    restated = [
        fingerprint(
            file=a["file"],
            code=a["code"],
            field=a["field"],
            key=a["key"],
            line=None if pd.isna(a["line"]) else int(a["line"]),
            value=a["value"],
        )
        for a in anomalies.to_dict("records")
    ]
    assert anomalies["fingerprint"].tolist() == restated
