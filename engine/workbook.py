"""Reading a sheet of an `.xlsx` workbook into the same records a CSV file gives (spec: "Workbooks").

The zip directory and every part are checked before the workbook is opened (declared sizes, real
sizes, the sheet's used area: `sourcelines.workbook`, which the workbook's line view uses too), so a
zip bomb or a sheet of 16,384 columns costs a bounded read; python-calamine then reads the sheet
(measured against openpyxl in bench/xlsx.py).
"""

import io
import logging
import re

import numpy as np
import pandas as pd
import python_calamine

from contract import FILES, SCHEMAS, Code, Limits
from sourcelines.workbook import cell_text, error_short, parts_check, sheet_scan

from .cells import cells_factorize, column_join
from .formats import is_workbook
from .read import FileState, _fail, _header_map, file_read, file_unreadable

logger = logging.getLogger(__name__)
_CHUNK_ROWS = 1 << 15


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


_cells_text = np.frompyfunc(cell_text, 1, 1)


def workbook_read(result: FileState, data: bytes, *, whole_dataset: bool = False) -> FileState:
    """The file's sheet as records; `whole_dataset`: one workbook for the three files, so each needs its sheet."""
    result.dialect.update(encoding="Excel workbook (.xlsx)", line_ends="sheet rows")
    refused = parts_check(data, result.limits.workbook_bytes)
    if refused:
        return _fail(result, Code.FILE_NOT_CSV, refused[0], **refused[1])
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        return _fail(result, Code.FILE_NOT_CSV, "workbook-encrypted")
    except Exception as error:  # calamine's refusals of a damaged part
        return _fail(result, Code.FILE_NOT_CSV, "workbook-damaged", detail=error_short(error))
    names = book.sheet_names
    wanted = [n for n in names if sheet_key(n) == result.name]
    if not wanted and (whole_dataset or not names):
        return _fail(result, Code.FILE_EMPTY, "no-sheet", wanted=result.name, sheets=", ".join(names))
    sheet_name = (wanted or names)[0]
    result.dialect.update(sheet=sheet_name, delimiter=f"sheet “{sheet_name}”")
    area, errors = sheet_scan(data, book, sheet_name)
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
        return _fail(result, Code.FILE_NOT_CSV, "workbook-damaged", detail=error_short(error))
    return _rows_read(result, sheet, errors=errors)


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
