"""One workbook for the three files: stored once, processed by its sheets, its rows shown cell by cell,
and never deleted while another version still names it."""

import io

import openpyxl
import pytest
from django.core.files.base import ContentFile

from reports.workbook_source import workbook_row_view
from uploads.processing import version_process
from uploads.services import (
    VersionInProgress,
    dataset_create_from_workbook,
    version_create,
    version_create_from_workbook,
    version_delete,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

SHEETS = {
    "Namespaces": [["namespace_id", "namespace_option_name"], ["N1", "Fund"], ["N2", " Risk "]],
    "Data Points": [["data_point_id", "data_point_name", "data_type"], ["DP1", "NAV", "decimal"]],
    "columns": [
        ["column_id", "namespace_id", "dataset_database_name", "dataset_table_name", "dataset_column_name"],
        ["C1", "N1", "db", "t", "c1"],
        ["C2", "N2", "db", "t", "c2", None, None, "stray"],
    ],
}


def _workbook(sheets=SHEETS) -> ContentFile:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return ContentFile(out.getvalue(), name="catalog.xlsx")


def test_a_workbook_is_stored_once_and_each_file_is_read_from_its_sheet(use_storage):
    use_storage("local")
    version = dataset_create_from_workbook(name="Book", owner=None, workbook=_workbook(), enqueue=False)
    # the three files name one stored upload
    assert version.namespaces.name == version.datapoints.name == version.columns.name
    assert version.replaced_files == ["namespaces", "datapoints", "columns"]

    version = version_process(version_id=str(version.pk))

    assert version.status == "done"
    assert [version.counts[f]["rows_persisted"] for f in ("namespaces", "datapoints", "columns")] == [2, 1, 2]
    assert version.sources["datapoints"]["sheet"] == "Data Points"
    assert version.sources["columns"]["name"] == "catalog.xlsx"
    assert version.counts["columns"]["anomalies"] == {"extra-cell": 1}


def test_a_row_of_a_workbook_shows_its_cells_with_the_one_concerned_marked(use_storage):
    use_storage("local")
    version = version_process(
        version_id=str(dataset_create_from_workbook(name="Book", owner=None, workbook=_workbook(), enqueue=False).pk)
    )

    whitespace = workbook_row_view(
        upload_file=version.namespaces,
        sheet="Namespaces",
        line=3,
        field_name="namespace_option_name",
        code="whitespace",
    )
    extra = workbook_row_view(upload_file=version.columns, sheet="columns", line=3, code="extra-cell")

    assert whitespace.header == ["namespace_id", "namespace_option_name"]
    assert whitespace.lines_total == 3
    row = next(line for line in whitespace.lines if line.in_record)
    assert row.number == 3
    assert [(s["text"], s["marked"]) for s in row.segments if s["cell"] is not None] == [
        ("N2", False),
        (" Risk ", True),
    ]
    row = next(line for line in extra.lines if line.in_record)
    assert [s["text"] for s in row.segments if s["marked"]] == ["", "", "stray"]
    assert extra.marked == ["cells 6–8 (past the 5 header columns)"]


def test_a_workbook_version_then_a_csv_file_carried_over_keeps_the_workbook(use_storage):
    # given version 1 from one workbook, and version 2 replacing the namespaces only
    use_storage("local")
    v1 = version_process(
        version_id=str(dataset_create_from_workbook(name="Book", owner=None, workbook=_workbook(), enqueue=False).pk)
    )
    csv_file = ContentFile(b"namespace_id,namespace_option_name\nN1,Fund\nN2,Risk\n", name="namespaces.csv")
    v2 = version_process(
        version_id=str(
            version_create(dataset=v1.dataset, created_by=None, files={"namespaces": csv_file}, enqueue=False).pk
        )
    )
    assert v2.status == "done"
    assert v2.columns.name == v1.namespaces.name
    # when version 1 is deleted, then the workbook stays: version 2 still reads its columns from it
    version_delete(version=v1)
    assert v2.columns.storage.exists(v2.columns.name)


def test_a_workbook_version_waits_for_the_one_in_progress(use_storage):
    use_storage("local")
    v1 = dataset_create_from_workbook(name="Book", owner=None, workbook=_workbook(), enqueue=False)
    with pytest.raises(VersionInProgress):
        version_create_from_workbook(dataset=v1.dataset, created_by=None, workbook=_workbook(), enqueue=False)
