"""Reading a sheet of an `.xlsx` workbook into the same records a CSV file gives (spec: "Workbooks").

The zip directory and every part are checked before the workbook is opened (declared sizes, real
sizes, the sheet's used area), so a zip bomb or a sheet of 16,384 columns costs a bounded read;
python-calamine then reads the sheet (measured against openpyxl in bench/xlsx.py).
"""

import datetime
import io
import logging
import re
import zipfile

import numpy as np
import pandas as pd
import python_calamine

from .cells import cells_factorize, column_join
from .codes import Code
from .formats import is_workbook
from .limits import Limits
from .read import FileState, _fail, _header_map, file_read, file_unreadable
from .schema import FILES, SCHEMAS

logger = logging.getLogger(__name__)
_CHUNK_ROWS = 1 << 15
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


def upload_read(*, name: str, data: bytes, limits: Limits | None = None, whole_dataset: bool = False) -> FileState:
    """A file of the dataset, CSV or workbook (told by its content). Never raises, as `file_read`."""
    if not is_workbook(data):
        return file_read(name=name, data=data, limits=limits)
    result = FileState(name=name, schema=SCHEMAS[name], limits=limits or Limits())
    try:
        return workbook_read(result, data, whole_dataset=whole_dataset)
    except Exception as error:  # a case the engine does not know: logged, never raised
        logger.exception("%s could not be read", name)
        return file_unreadable(result, error)


def one_workbook(files) -> bool:
    """The three files are one workbook (the form's workbook field): each must then have its sheet."""
    datas = [files.get(name) or b"" for name in FILES]
    return all(d == datas[0] for d in datas[1:]) and is_workbook(bytes(datas[0]))


def sheet_key(name: str) -> str:
    """A sheet's name as it is matched against a file's: case, spaces, `_` and `-` ignored."""
    return re.sub(r"[\s_-]", "", name).lower()


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


_cells_text = np.frompyfunc(cell_text, 1, 1)


def workbook_read(result: FileState, data: bytes, *, whole_dataset: bool = False) -> FileState:
    """The file's sheet as records; `whole_dataset`: one workbook for the three files, so each needs its sheet."""
    result.dialect.update(encoding="Excel workbook (.xlsx)", line_ends="sheet rows")
    refused = _parts_check(data, result.limits.workbook_bytes)
    if refused:
        return _fail(result, Code.FILE_NOT_CSV, refused[0], **refused[1])
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        return _fail(result, Code.FILE_NOT_CSV, "workbook-encrypted")
    except Exception as error:  # calamine's refusals of a damaged part
        return _fail(result, Code.FILE_NOT_CSV, "workbook-damaged", detail=_short(error))
    names = book.sheet_names
    wanted = [n for n in names if sheet_key(n) == result.name]
    if not wanted and (whole_dataset or not names):
        return _fail(result, Code.FILE_EMPTY, "no-sheet", wanted=result.name, sheets=", ".join(names))
    sheet_name = (wanted or names)[0]
    result.dialect.update(sheet=sheet_name, delimiter=f"sheet “{sheet_name}”")
    area, errors = _sheet_scan(data, book, sheet_name)
    if area and area[0] * area[1] > result.limits.sheet_cells:
        rows, columns = area
        return _fail(
            result,
            Code.FILE_NOT_CSV,
            "sheet-too-large",
            sheet=sheet_name,
            rows=rows,
            columns=columns,
            limit=result.limits.sheet_cells,
        )
    try:
        sheet = book.get_sheet_by_name(sheet_name)
    except Exception as error:
        return _fail(result, Code.FILE_NOT_CSV, "workbook-damaged", detail=_short(error))
    return _rows_read(result, sheet, errors=errors)


def _short(error: Exception) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:120]


def _parts_check(data: bytes, limit: int) -> tuple[str, dict] | None:
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
        return "workbook-damaged", {"detail": _short(error)}
    return None


def _sheet_scan(data: bytes, book, sheet_name: str) -> tuple[tuple[int, int] | None, dict]:
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


def _rows_read(result: FileState, sheet, *, errors: dict) -> FileState:
    """Rows as lines: the header is the first row holding a value; the rows after the last one holding
    a value are no records."""
    limit = result.limits.header_columns
    header_line, width, kept = None, 0, 0
    parts: list[list] = []
    lasts, lines = [], []
    rows_seen = 0
    for chunk in _chunks(sheet):
        cells = np.array(chunk, dtype=object).reshape(len(chunk), -1)
        _errors_put(cells, errors, first_row=rows_seen + 1, first_column=(sheet.start or (0, 0))[1] + 1)
        filled = cells != ""
        first_line = rows_seen + 1
        rows_seen += len(chunk)
        any_filled = filled.any(axis=1)
        if header_line is None:
            found = np.flatnonzero(any_filled)
            if found.size == 0:
                continue
            at = int(found[0])
            header_line = first_line + at
            header = [cell_text(v) for v in cells[at]]
            width = int(np.flatnonzero(filled[at])[-1]) + 1
            if width > limit:
                result.limit_notes.append(("header-columns", {"width": width, "limit": limit}))
            result.header = header[: min(width, limit)]
            _header_map(result, line=header_line)
            # as for a CSV header: cells past the limit are not read, but the header keeps its width
            result.header_width, width = width, min(width, limit)
            parts = [[] for _ in range(width)]
            cells, filled, any_filled = cells[at + 1 :], filled[at + 1 :], any_filled[at + 1 :]
            first_line += at + 1
        last = np.where(any_filled, filled.shape[1] - np.argmax(filled[:, ::-1], axis=1), 0)
        lasts.append(last)
        lines.append(np.arange(first_line, first_line + len(cells)))
        for position in range(width):
            column = cells[:, position] if position < cells.shape[1] else np.full(len(cells), "", dtype=object)
            parts[position].append(cells_factorize(_as_text(column), key=False))
        if any_filled.any():
            kept = sum(part.size for part in lasts[:-1]) + int(np.flatnonzero(any_filled)[-1]) + 1
    if header_line is None:
        return _fail(result, Code.FILE_EMPTY)
    last = np.concatenate(lasts)[:kept] if lasts else np.zeros(0, dtype=np.int64)
    result.records_found = int(np.count_nonzero(last))
    if result.error:
        return result
    size = sum(part.size for part in lasts)
    columns = [column_join(part, size=size, kept=slice(0, kept)) for part in parts]
    frame = pd.DataFrame({f: columns[i] for f, i in result.columns.items()}, copy=False)
    key = result.schema.key
    if key in frame:
        frame[key] = frame[key].astype(object)
    frame["cells"] = np.maximum(last, result.header_width)
    frame["line"] = np.concatenate(lines)[:kept] if lines else np.zeros(0, dtype=np.int64)
    frame["blank"] = last == 0
    frame["suspect"] = _padded(frame, list(result.columns))
    result.records = frame
    result.texts = RowTexts(columns=columns, last=last, width=result.header_width)
    return result


def _errors_put(cells: np.ndarray, errors: dict, *, first_row: int, first_column: int) -> None:
    for (row, column), text in errors.items():
        if 0 <= row - first_row < cells.shape[0] and 0 <= column - first_column < cells.shape[1]:
            cells[row - first_row, column - first_column] = text


def _chunks(sheet):
    chunk = []
    for row in sheet.iter_rows():
        chunk.append(row)
        if len(chunk) == _CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _as_text(column: np.ndarray) -> np.ndarray:
    """Cells as text; a column of text only (the usual case) is kept as it is."""
    if np.frompyfunc(lambda value: isinstance(value, str), 1, 1)(column).all():
        return column
    return _cells_text(column).astype(object)


def _padded(frame: pd.DataFrame, fields: list[str]) -> np.ndarray:
    """Records with a value of surrounding whitespace somewhere: over distinct values only."""
    padded = np.zeros(len(frame), dtype=bool)
    for field_name in fields:
        codes, uniques = pd.factorize(frame[field_name].astype(object))
        if len(uniques):
            values = pd.Series(uniques, dtype=object)
            padded |= (values != values.str.strip()).to_numpy()[codes]
    return padded


class RowTexts:
    """The text of sheet rows, for the few that an anomaly quotes: the header's columns joined by tabs,
    and a mark for cells past them (their values are dropped unread, like a CSV line's extra cells)."""

    def __init__(self, *, columns: list[pd.Series], last: np.ndarray, width: int):
        self.columns, self.last, self.width = columns, last, width

    def longer_than(self, size: int) -> np.ndarray:
        lengths = np.zeros(self.last.size, dtype=np.int64)
        for column in self.columns:
            sizes = column.cat.categories.str.len().to_numpy(dtype=np.int64)
            lengths += sizes[column.cat.codes.to_numpy()] + 1 if sizes.size else 0
        return np.flatnonzero(lengths > size)

    def get(self, positions) -> list[str]:
        texts = []
        for position in positions:
            cells = [str(column.iat[position]) for column in self.columns[: self.last[position]]]
            if self.last[position] > self.width:
                cells.append(f"… ({self.last[position] - self.width} cells past the header)")
            texts.append("\t".join(cells).rstrip("\t"))
        return texts


def sheet_rows(data: bytes, *, sheet: str, first: int, last: int, limits: Limits | None = None):
    """For the source-line view: the header's line and cells, the rows `first`..`last` as text cells
    (line, cells), and the sheet's last line; None when the workbook is refused as it is at reading."""
    limits = limits or Limits()
    if _parts_check(data, limits.workbook_bytes):
        return None
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    if sheet not in book.sheet_names:
        return None
    area, errors = _sheet_scan(data, book, sheet)
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
