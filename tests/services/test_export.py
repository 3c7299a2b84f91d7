"""A namespace's JSON export reads a few pages of the browse index, not one document per data point."""

import pytest

from catalog import selectors
from reports import exports

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


@pytest.fixture
def version(processed_sample) -> str:
    """The records key of the sample, processed once for the module (read only)."""
    return processed_sample.current_version.records_key


def _one_lookup_per_data_point(version: str, namespace_id: str, **selection) -> dict:
    """The export as it was built before the export pages: the index walk, then a lookup per data point."""
    rows = selectors.column_rows_for_selection(version=version, namespace_id=namespace_id, **selection)
    rows.sort(key=lambda row: row["line"])
    return exports._export_tree(version=version, rows=[{**row, "namespace_id": namespace_id} for row in rows])


@pytest.mark.parametrize(
    "selection",
    [
        {"namespace_id": "N1"},
        {"namespace_id": "N2"},
        {"namespace_id": "N3"},
        {"namespace_id": "N1", "database": "fund_master"},
    ],
)
def test_the_export_from_pages_equals_the_export_from_one_lookup_per_data_point(version, selection):
    expected = _one_lookup_per_data_point(version, **selection)

    assert exports.export_build(version=version, **selection) == expected
    assert expected  # the sample maps data points in each of these


def test_a_namespace_export_reads_a_bounded_number_of_documents(version, monkeypatch):
    reads = []
    real_node = selectors._node
    monkeypatch.setattr(selectors, "_node", lambda *args, **kwargs: reads.append(args[1]) or real_node(*args, **kwargs))

    def no_lookups(**kwargs):
        raise AssertionError("a namespace export must not look data points up one by one")

    monkeypatch.setattr(exports, "datapoints_by_ids", no_lookups)

    export = exports.export_build(version=version, namespace_id="N1")

    assert export["Equity_Research_namespaces"]["N1"]["namespace_option_name"] == "Fund Performance"
    assert sorted(reads) == ["export_datapoints", "export_rows"]  # one page each, plus the namespace itself
