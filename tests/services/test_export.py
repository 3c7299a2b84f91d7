"""A namespace's JSON export reads a few pages of the browse index, not one document per data point."""

import pytest
from django.core.files.base import ContentFile

from catalog import selectors
from reports import exports
from uploads.services import dataset_create, dataset_process

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


@pytest.fixture
def dataset_id(sample_files) -> str:
    dataset = dataset_create(
        name="Sample",
        owner=None,
        enqueue=False,
        **{f"{file}_file": ContentFile(content, name=f"{file}.csv") for file, content in sample_files.items()},
    )
    return str(dataset_process(dataset_id=str(dataset.pk)).pk)


def _one_lookup_per_data_point(dataset_id: str, namespace_id: str, **selection) -> dict:
    """The export as it was built before the export pages: the index walk, then a lookup per data point."""
    rows = selectors.column_rows_for_selection(dataset_id=dataset_id, namespace_id=namespace_id, **selection)
    rows.sort(key=lambda row: row["line"])
    return exports._export_tree(dataset_id=dataset_id, rows=[{**row, "namespace_id": namespace_id} for row in rows])


@pytest.mark.parametrize(
    "selection",
    [
        {"namespace_id": "N1"},
        {"namespace_id": "N2"},
        {"namespace_id": "N3"},
        {"namespace_id": "N1", "database": "fund_master"},
    ],
)
def test_the_export_from_pages_equals_the_export_from_one_lookup_per_data_point(dataset_id, selection):
    expected = _one_lookup_per_data_point(dataset_id, **selection)

    assert exports.export_build(dataset_id=dataset_id, **selection) == expected
    assert expected  # the sample maps data points in each of these


def test_a_namespace_export_reads_a_bounded_number_of_documents(dataset_id, monkeypatch):
    reads = []
    real_node = selectors._node
    monkeypatch.setattr(selectors, "_node", lambda *args, **kwargs: reads.append(args[1]) or real_node(*args, **kwargs))

    def no_lookups(**kwargs):
        raise AssertionError("a namespace export must not look data points up one by one")

    monkeypatch.setattr(exports, "datapoints_by_ids", no_lookups)

    export = exports.export_build(dataset_id=dataset_id, namespace_id="N1")

    assert export["Equity_Research_namespaces"]["N1"]["namespace_option_name"] == "Fund Performance"
    assert sorted(reads) == ["export_datapoints", "export_rows"]  # one page each, plus the namespace itself
