"""Writing tables as sheets of an `.xlsx` (the spec's "Workbooks"): rows are lines, so every record
starts on its own sheet row; blank lines become empty rows; trailing ones are left out (no records).
Written with openpyxl, independently of the reader the engine uses."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import openpyxl

from .tables import Table

# The sheet names of one workbook for all three files: spelt as people do, matched by the spec's rule.
SHEET_TITLES = {"namespaces": "Namespaces", "datapoints": "Data Points", "columns": "columns"}


def sheet_rows(table: Table) -> tuple[list[list[str] | None], np.ndarray, list[int]]:
    """The sheet's rows (None for an empty row), the row of each record, and the rows left empty among them."""
    if table.broken == "file-empty":
        return [], np.array([], int), []
    width = len(table.layout)
    columns = [table.cells(position) for position in range(width)]
    rows: list[list[str] | None] = [[c.header for c in table.layout]]
    lines, blank_lines = np.zeros(table.size, dtype=int), []
    for i in range(table.size):
        for _ in table.blanks.get(i, []):
            rows.append(None)
            blank_lines.append(len(rows))
        cells = [str(columns[p][i]) for p in range(min(width, int(table.ncells[i])))]
        rows.append(cells + table.extras.get(i, []))
        lines[i] = len(rows)
    return rows, lines, blank_lines


def has_extra_value(table: Table) -> np.ndarray:
    """Records with a value in a cell past the header's last column: only those are an extra cell."""
    found = np.zeros(table.size, dtype=bool)
    for i, extras in table.extras.items():
        found[i] = int(table.ncells[i]) > len(table.layout) and any(cell != "" for cell in extras)
    return found


def empty_records(table: Table) -> np.ndarray:
    """Records whose cells are all empty: on a sheet such a row is an empty row, no record."""
    empty = np.ones(table.size, dtype=bool)
    for position in range(len(table.layout)):
        cells = table.cells(position)
        empty &= (cells == "") | (position >= table.ncells)
    for i, extras in table.extras.items():
        empty[i] &= not any(extras)
    return empty


def workbook_write(sheets: dict[str, list[list[str] | None]]) -> bytes:
    """An .xlsx holding each sheet; every cell is text (a value starting with `=` stays text, no formula)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for number, cells in enumerate(rows, start=1):
            for column, value in enumerate(cells or [], start=1):
                if value == "":
                    continue
                cell = sheet.cell(row=number, column=column)
                # a carriage return escaped as Excel writes it (XML turns a raw CR LF into LF)
                cell.value = value.replace("\r", "_x000D_")
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return _space_preserved(out.getvalue())


def _space_preserved(data: bytes) -> bytes:
    """Marks every text `xml:space="preserve"`, as Excel writes it: openpyxl leaves the mark off a text
    of spaces only, which a reader may then take as empty."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename.startswith("xl/worksheets/") or info.filename == "xl/sharedStrings.xml":
                part = part.replace(b"<t>", b'<t xml:space="preserve">')
            target.writestr(info.filename, part)
    return out.getvalue()
