"""The spec's "Workbooks (.xlsx)" rules, one test each: which sheet, rows as lines, cells as text, the
extra-cell / missing-cell / blank-row rules, formulas, what never fires, and hostile workbooks."""

import datetime
import io
import re
import zipfile

import openpyxl

from engine import Code, Limits, pipeline_run
from engine.structure import structure_check
from engine.workbook import upload_read
from tests.engine.helpers import anomaly_tuples

NAMESPACES = [["namespace_id", "namespace_option_name"], ["N1", "Fund"], ["N2", "Risk"]]
DATAPOINTS = [["data_point_id", "data_point_name", "data_type"], ["DP1", "NAV", "decimal"]]
COLUMNS = [
    ["column_id", "namespace_id", "dataset_database_name", "dataset_table_name", "dataset_column_name"],
    ["C1", "N1", "db", "t", "c1"],
    ["C2", "N2", "db", "t", "c2"],
]


def workbook(sheets: dict[str, list], *, at: str = "A1") -> bytes:
    """An .xlsx written by openpyxl: a sheet per name, its rows placed from cell `at` (None = an empty cell,
    an int = that many empty rows)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    column, row = openpyxl.utils.cell.coordinate_from_string(at)
    first_column = openpyxl.utils.cell.column_index_from_string(column)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        number = row
        for cells in rows:
            if isinstance(cells, int):
                number += cells
                continue
            for offset, value in enumerate(cells):
                if value is not None:
                    sheet.cell(row=number, column=first_column + offset, value=value)
            number += 1
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def read(rows: list, *, name: str = "namespaces", **options):
    return upload_read(name=name, data=workbook({name: rows}, **options))


def checked(rows: list, name: str = "namespaces"):
    """The anomalies of one sheet when the other two files are valid."""
    files = {"namespaces": workbook({"namespaces": NAMESPACES}), "datapoints": workbook({"d": DATAPOINTS})}
    files["columns"] = workbook({"columns": COLUMNS})
    files[name] = workbook({name: rows})
    result = pipeline_run(files=files)
    return result, [a for a in anomaly_tuples(result.anomalies) if a[0] == name and a[3] != "unused-record"]


def test_a_workbook_is_recognised_by_its_content_whatever_its_name():
    # given the bytes of an .xlsx (no name travels with them)
    state = read(NAMESPACES)
    # then it is read as a sheet, not as CSV
    assert state.error is None
    assert state.dialect["encoding"] == "Excel workbook (.xlsx)"
    assert state.values([0, 1], "namespace_id").tolist() == ["N1", "N2"]


def test_the_sheet_named_after_the_file_is_read_ignoring_case_spaces_underscores_and_dashes():
    data = workbook({"Notes": [["nothing here"]], "Data Points": DATAPOINTS, "name-spaces": NAMESPACES})
    assert upload_read(name="datapoints", data=data).dialect["sheet"] == "Data Points"
    assert upload_read(name="namespaces", data=data).dialect["sheet"] == "name-spaces"


def test_without_a_sheet_of_the_file_s_name_the_first_sheet_is_read():
    state = upload_read(name="namespaces", data=workbook({"Sheet1": NAMESPACES, "other": [["x"]]}))
    assert state.error is None
    assert state.dialect["sheet"] == "Sheet1"


def test_one_workbook_for_all_three_needs_a_sheet_for_each_file_else_file_empty():
    # given one workbook (the same in the three fields) without a columns sheet
    data = workbook({"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "Sheet3": COLUMNS})
    result = pipeline_run(files={"namespaces": data, "datapoints": data, "columns": data})
    # then columns is file-empty, saying which sheet is missing, and the dataset fails
    assert [a for a in anomaly_tuples(result.anomalies) if a[3].startswith("file")] == [
        ("columns", None, "", "file-empty")
    ]
    assert result.failed
    assert 'no sheet named "columns"' in result.error


def test_one_workbook_with_its_three_sheets_and_others_ignored_is_read():
    data = workbook({"Read me": [["notes"]], "namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": COLUMNS})
    result = pipeline_run(files={"namespaces": data, "datapoints": data, "columns": data})
    assert not result.failed
    assert [f.rows_persisted for f in result.files.values()] == [2, 1, 2]


def test_rows_are_lines_the_header_being_row_1():
    _, anomalies = checked([*NAMESPACES, ["N3", ""]])
    assert anomalies == [("namespaces", 4, "namespace_option_name", "required-blank")]


def test_a_sheet_starting_lower_down_keeps_the_sheet_s_row_numbers():
    # given a sheet whose first value is in C4 (the header), a record in row 6 with a blank required value
    state = read([*NAMESPACES, ["N3", None]], at="C4")
    # then the header is row 4's and the records keep their sheet rows
    assert state.error is None
    assert state.header == ["namespace_id", "namespace_option_name"]
    assert state.lines([0, 1, 2]).tolist() == [5, 6, 7]


def test_an_empty_row_among_the_records_is_a_blank_row():
    _, anomalies = checked([NAMESPACES[0], NAMESPACES[1], 1, NAMESPACES[2]])
    assert anomalies == [("namespaces", 3, "", "blank-row")]


def test_empty_rows_after_the_last_row_holding_a_value_are_no_records():
    # given a sheet whose last rows are styled but empty, down to row 1,000
    book = openpyxl.load_workbook(io.BytesIO(workbook({"namespaces": NAMESPACES})))
    for row in range(4, 1001):
        book["namespaces"].cell(row=row, column=1).style = "Good"
    out = io.BytesIO()
    book.save(out)
    state = upload_read(name="namespaces", data=out.getvalue())
    # then the records end with the last row holding a value: no blank-row
    assert state.error is None
    assert len(state.records) == 2
    assert anomaly_tuples(state.anomalies) == []


def test_a_value_past_the_header_s_last_column_is_one_extra_cell_per_row():
    _, anomalies = checked([NAMESPACES[0], ["N1", "Fund", None, "x", "y"], ["N2", "Risk", ""]])
    assert anomalies == [("namespaces", 2, "", "extra-cell")]


def test_missing_cell_never_fires_a_cell_left_empty_is_blank():
    _, anomalies = checked([NAMESPACES[0], ["N1", "Fund"], ["N2"], *COLUMNS[:0]])
    assert anomalies == [("namespaces", 3, "namespace_option_name", "required-blank")]


def test_text_cells_keep_their_whitespace_so_the_whitespace_rule_applies():
    _, anomalies = checked([NAMESPACES[0], ["N1", " Fund "], ["N2", "   "]])
    assert anomalies == [
        ("namespaces", 2, "namespace_option_name", "whitespace"),
        ("namespaces", 3, "namespace_option_name", "required-blank"),
    ]


def test_numbers_read_as_a_person_sees_them():
    state = read([["namespace_id", "namespace_option_name"], [42, 0.1], [-3.0, 1e-7], [1e20, 2.5]])
    assert state.values([0, 1, 2], "namespace_id").tolist() == ["42", "-3", "100000000000000000000"]
    assert state.values([0, 1, 2], "namespace_option_name").tolist() == ["0.1", "0.0000001", "2.5"]


def test_booleans_read_as_true_false_inside_the_is_derived_vocabulary():
    result, anomalies = checked(
        [[*DATAPOINTS[0], "is_derived"], ["DP1", "NAV", "decimal", True], ["DP2", "X", "string", False]],
        name="datapoints",
    )
    assert all(code != "invalid-value" for *_, code in anomalies)
    records = result.files["datapoints"].records
    assert records["is_derived"].tolist() == [True, False]


def test_dates_and_date_times_read_as_iso_text():
    rows = [NAMESPACES[0], ["N1", datetime.date(2024, 1, 5)], ["N2", datetime.datetime(2024, 1, 5, 9, 30, 7)]]
    state = read(rows)
    assert state.values([0, 1], "namespace_option_name").tolist() == ["2024-01-05", "2024-01-05T09:30:07"]


def _formulas(cached: dict[str, str | None]) -> bytes:
    """A sheet with formulas in B2.. and the given cached values (None: none cached), written by hand
    as Excel writes them (openpyxl caches no value)."""
    data = workbook({"namespaces": [NAMESPACES[0], *[[f"N{i}", "placeholder"] for i in range(1, len(cached) + 1)]]})
    archive = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as written:
        for info in archive.infolist():
            part = archive.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = part.decode()
                for row, (formula, value) in enumerate(cached.items(), start=2):
                    cell = (
                        f'<c r="B{row}" t="str"><f>{formula}</f><v>{value}</v></c>'
                        if value is not None
                        else (f'<c r="B{row}"><f>{formula}</f></c>')
                    )
                    if value == "#N/A":
                        cell = f'<c r="B{row}" t="e"><f>{formula}</f><v>#N/A</v></c>'
                    text = re.sub(rf'<c r="B{row}"[^>]*>.*?</c>', cell, text)
                part = text.encode()
            written.writestr(info, part)
    return out.getvalue()


def test_a_formula_reads_as_its_cached_value_and_as_blank_when_none_is_cached():
    state = upload_read(name="namespaces", data=_formulas({'CONCAT("Fu","nd")': "Fund", "1+1": None}))
    assert state.values([0, 1], "namespace_option_name").tolist() == ["Fund", ""]


def test_an_error_cell_reads_as_its_text():
    state = upload_read(name="namespaces", data=_formulas({"NA()": "#N/A"}))
    assert state.values([0], "namespace_option_name").tolist() == ["#N/A"]


def test_file_encoding_never_applies_to_a_workbook():
    _, anomalies = checked([NAMESPACES[0], ["N1", "Zürich"], ["N2", "Ünïcödé €"]])
    assert anomalies == []


def test_a_workbook_that_cannot_be_opened_is_file_not_csv_saying_so():
    data = workbook({"namespaces": NAMESPACES})
    state = upload_read(name="namespaces", data=data[: len(data) // 2])
    assert anomaly_tuples(state.anomalies) == [("namespaces", None, "", "file-not-csv")]
    assert "cannot be opened" in state.error


def test_a_workbook_reads_to_the_records_and_anomalies_of_the_same_csv():
    rows = [NAMESPACES[0], ["N1", " Fund "], ["N1", " Fund "], [], ["N3", ""], ["N4", "x", "extra"]]
    csv_text = "\n".join(",".join(cells) for cells in rows) + "\n"
    from_csv = pipeline_run(files={"namespaces": csv_text.encode(), "datapoints": b"", "columns": b""})
    from_sheet = pipeline_run(files={"namespaces": workbook({"namespaces": rows}), "datapoints": b"", "columns": b""})
    assert anomaly_tuples(from_sheet.anomalies) == anomaly_tuples(from_csv.anomalies)


# --- hostile workbooks: a clear anomaly, a bounded read ---


def test_a_zip_bomb_in_xlsx_clothing_is_refused_from_its_zip_directory():
    # given a workbook whose parts unpack to more than the limit (a sheet of 2 MB of zeros, limit 1 MB)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 2_000_000)
    state = upload_read(name="namespaces", data=out.getvalue(), limits=Limits(workbook_bytes=1_000_000))
    assert anomaly_tuples(state.anomalies) == [("namespaces", None, "", "file-not-csv")]
    assert "unpacks to 2,000,0" in state.error


def test_a_zip_directory_that_lies_about_sizes_is_damaged():
    data = bytearray(workbook({"namespaces": NAMESPACES}))
    # the central directory's uncompressed size of the sheet, made small
    at = data.rfind(b"xl/worksheets/sheet1.xml") - 46 + 24
    data[at : at + 4] = (10).to_bytes(4, "little")
    state = upload_read(name="namespaces", data=bytes(data))
    assert anomaly_tuples(state.anomalies) == [("namespaces", None, "", "file-not-csv")]


def test_a_sheet_of_16384_columns_is_read_within_the_limits():
    # given a header of the two fields then 16,382 more columns, and one record with a value in XFD
    header = [*NAMESPACES[0], *(f"c{i}" for i in range(16_382))]
    state = read([header, ["N1", "Fund", *([None] * 16_381), "far"]])
    # then the header is cut at the limit and the record keeps its fields
    assert state.error is None
    assert len(state.header) == 1_000
    assert ("header-columns", {"width": 16_384, "limit": 1_000}) in state.limit_notes
    assert state.values([0], "namespace_option_name").tolist() == ["Fund"]
    # and the far value is inside the header's width: no extra cell
    structure_check(state=state)
    assert Code.EXTRA_CELL not in state.listed_counts


def test_a_sheet_past_the_cell_limit_is_refused_before_it_is_laid_out():
    state = read([*NAMESPACES, 100, ["N9", "far", *([None] * 40), "x"]])
    limited = upload_read(
        name="namespaces",
        data=workbook({"namespaces": [*NAMESPACES, 100, ["N9", "x", *([None] * 40), "x"]]}),
        limits=Limits(sheet_cells=1_000),
    )
    assert state.error is None
    assert anomaly_tuples(limited.anomalies) == [("namespaces", None, "", "file-not-csv")]
    assert "104 rows by 43 columns" in limited.error


def test_a_million_empty_rows_among_the_records_are_blank_rows_listed_up_to_the_limit():
    # given two records, a million empty rows, and one more record
    state = read([*NAMESPACES, 1_000_000, ["N3", "Late"]])
    structure_check(state=state)
    # then the last record keeps its sheet row, and the blank rows are counted, the first 10,000 listed
    assert state.error is None
    assert state.lines([len(state.records) - 1]).tolist() == [1_000_004]
    assert state.listed_counts[Code.BLANK_ROW] == 10_000
    assert state.omitted[Code.BLANK_ROW] == 990_000


def test_a_million_styled_empty_rows_after_the_records_are_no_records():
    # given a sheet whose records are followed by a million rows of styled, empty cells (as Excel writes
    # rows formatted to the bottom of the sheet)
    data = workbook({"namespaces": NAMESPACES})
    archive = zipfile.ZipFile(io.BytesIO(data))
    empty_rows = b"".join(
        b'<row r="%d"><c r="A%d" s="1"/><c r="B%d" s="1"/></row>' % (n, n, n) for n in range(4, 1_000_004)
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as written:
        for info in archive.infolist():
            part = archive.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", empty_rows + b"</sheetData>")
            written.writestr(info.filename, part)
    state = upload_read(name="namespaces", data=out.getvalue())
    # then they are no records, no anomaly, and the sheet is not refused for its size
    assert state.error is None
    assert len(state.records) == 2
    assert anomaly_tuples(state.anomalies) == []
