"""A workbook's sheet rows as text, bounded before the workbook is opened: the zip directory and
every part are checked (declared sizes, real sizes, the sheet's used area), so a zip bomb or a
sheet of 16,384 columns costs a bounded read. The engine reads a sheet's records with these checks
(`engine.workbook`); the source-line view of a workbook upload reads a few rows (`sheet_rows`).
"""

import datetime
import io
import re
import zipfile

import numpy as np
import python_calamine

from contract import Limits

_PART_BLOCK = 1 << 23
# cells that hold something: self-closing ones (`<c r="A9" s="1"/>`, a styled empty cell) do not
_VALUED_CELL = re.compile(rb'<c r="[A-Z]{1,3}(\d+)"[^>]*(?<!/)>')
# a cell reference of two or three letters: rare in catalog sheets, so these matches are few
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})\d+"[^>]*(?<!/)>')
_LETTERS = 26  # columns A to Z: a one-letter cell reference
# valued cells of one letter past a width: once the header is seen, these matches are few
_NARROW_CELLS = tuple(
    re.compile(rb'<c r="([' + bytes([65 + width]) + rb'-Z])\d+"[^>]*(?<!/)>') for width in range(_LETTERS)
)
# error cells (`#N/A`), which calamine gives as empty: read from the XML, where they are few
_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*\bt="e"[^>]*>(?:<f>[^<]*</f>|<f[^>]*/>)?<v>([^<]*)</v>')
_TAIL_WINDOW = 1 << 20


def cell_text(value) -> str:
    """A cell as a person sees it: numbers without a needless `.0`, booleans TRUE / FALSE, ISO dates."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return np.format_float_positional(value, trim="-")
    if isinstance(value, datetime.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def error_short(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:120]


def parts_check(data: bytes, limit: int) -> tuple[str, dict] | None:
    """A refusal (the `file-not-csv` variant and its params), or None: the zip directory's sizes
    within `limit`, and each part really that size (read through zipfile, which stops at the declared
    size and checks the CRC)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            if declared > limit:
                return "workbook-too-large", {"size": declared, "limit": limit}
            if any(info.flag_bits & 0x1 for info in infos):
                return "workbook-encrypted", {}
            for info in infos:
                with archive.open(info) as part:
                    while part.read(_PART_BLOCK):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError) as error:
        return "workbook-damaged", {"detail": error_short(error)}
    return None


def sheet_scan(data: bytes, book, sheet_name: str) -> tuple[tuple[int, int] | None, dict]:
    """From the sheet's XML, before calamine lays its cells out in memory: the rows and columns its
    valued cells reach, and the text of its error cells by (row, column), both 1-based."""
    index = book.sheet_names.index(sheet_name)
    errors: dict[tuple[int, int], str] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = _sheet_part(archive, index)
        if part is None:
            return None, errors
        rows = width = 0
        tail = b""
        with archive.open(part) as stream:
            while block := stream.read(_PART_BLOCK):
                # a tag cut at the block's end is whole in the next one
                cut = block.rfind(b"<")
                block, tail = tail + block[:cut], block[cut:]
                rows, width = _reach(block, rows, width, errors)
        rows, width = _reach(tail, rows, width, errors)
    return (rows, width), errors


def _reach(block: bytes, rows: int, width: int, errors: dict) -> tuple[int, int]:
    if b"<v>" not in block and b"<is>" not in block:  # no value in the block (styled empty rows): a fast look
        return rows, width
    rows = max(rows, _last_valued_row(block))
    wide = set(_WIDE_CELL.findall(block))
    width = max(width, *(_column_number(c) for c in wide), 0)
    for part in (block[:65_536], block):  # the first rows (the header) first, so that the rest matches little
        if width < _LETTERS:
            width = max(width, *(letter[0] - 64 for letter in set(_NARROW_CELLS[width].findall(part))), 0)
    if b't="e"' in block:
        for letters, row, text in _ERROR_CELL.findall(block):
            errors[(int(row), _column_number(letters))] = text.decode("utf-8", "replace")
    return rows, width


def _last_valued_row(block: bytes) -> int:
    """The row of the block's last valued cell (rows come in order), looked for from the end."""
    end = len(block)
    while end > 0:
        found = _VALUED_CELL.findall(block, max(0, end - _TAIL_WINDOW - 64), end)
        if found:
            return int(found[-1])
        end -= _TAIL_WINDOW
    return 0


def _sheet_part(archive: zipfile.ZipFile, index: int) -> str | None:
    """The XML part of the workbook's sheet number `index`, through the workbook's relationships."""
    try:
        workbook = archive.read("xl/workbook.xml")
        relations = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    ids = re.findall(rb'<(?:\w+:)?sheet [^>]*?r:id="([^"]+)"', workbook)
    if index >= len(ids):
        return None
    for relation in re.findall(rb"<Relationship [^>]*>", relations):
        if re.search(rb'Id="' + re.escape(ids[index]) + rb'"', relation):
            target = re.search(rb'Target="([^"]+)"', relation).group(1).decode()
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def sheet_rows(data: bytes, *, sheet: str, first: int, last: int, limits: Limits | None = None):
    """For the source-line view: the header's line and cells, the rows `first`..`last` as text cells
    (line, cells), and the sheet's last line; None when the workbook is refused as it is at reading."""
    limits = limits or Limits()
    if parts_check(data, limits.workbook_bytes):
        return None
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    if sheet not in book.sheet_names:
        return None
    area, errors = sheet_scan(data, book, sheet)
    if area and area[0] * area[1] > limits.sheet_cells:
        return None
    header, shown, total = None, [], 0
    rows = book.get_sheet_by_name(sheet)
    first_column = (rows.start or (0, 0))[1] + 1
    for number, row in enumerate(rows.iter_rows(), start=1):
        total = number
        values = [errors.get((number, first_column + i), value) for i, value in enumerate(row[: limits.line_cells])]
        cells = [cell_text(value) for value in values]
        while cells and cells[-1] == "":
            cells.pop()
        if header is None and cells:
            header = (number, cells[: limits.header_columns])
        if first <= number <= last:
            shown.append((number, cells))
    return header, shown, total
