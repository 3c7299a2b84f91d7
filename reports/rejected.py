"""The rejected rows of one file of a version, as a CSV a person fixes in a spreadsheet: the file's
header and every record an error rejected (not the exact duplicate rows dropped, a warning), cells
as uploaded, its source line in a last column `source_line`.

The records are read through the line index stored with the version (`engine.lines`): one ranged
read per window of lines holding rejected records, never the whole upload at once. Cells that a
spreadsheet would run as a formula are prefixed with `'`, as in the reports (the spec's "Reports").
"""

import csv
import io
from collections.abc import Iterator

from engine.lines import LineIndex, header_cells, lines_split, record_lines, text_decode
from engine.report import _cell_safe
from reports.source import RECORD_LINES_MAX, storage_read_range

SOURCE_LINE = "source_line"
WINDOW_LINES = 2048  # physical lines read at once around rejected records
_BATCH = 500  # rows written per yielded chunk


def _cells(text: str, delimiter: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [cell for row in rows[:1] for cell in row]


def _encoded(rows: list[list], out: io.StringIO, writer) -> bytes:
    out.seek(0)
    out.truncate()
    writer.writerows([[_cell_safe(cell) for cell in row] for row in rows])
    return out.getvalue().encode("utf-8")


def rejected_rows_csv(*, index_file, upload_file, lines: list[int]) -> Iterator[bytes]:
    """The CSV (UTF-8, no byte-order mark: the view adds one) of the records starting at `lines`
    (sorted, distinct), header first. `index_file` and `upload_file` are stored files (a version's
    `FieldFile`s)."""
    with index_file.storage.open(index_file.name, "rb") as handle:
        index = LineIndex.from_bytes(handle.read())

    def read_range(start: int, end: int) -> bytes:
        return storage_read_range(storage=upload_file.storage, name=upload_file.name, start=start, end=end)

    delimiter, _ = header_cells(text_decode(read_range(index.header[0], index.header[1])))
    header = _cells(text_decode(read_range(index.header[0], index.header[1])), delimiter)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    yield _encoded([[*header, SOURCE_LINE]], out, writer)
    rows: list[list] = []
    position = 0
    lines = [line for line in lines if 1 <= line <= index.lines]
    while position < len(lines):
        low = lines[position]
        high = low + WINDOW_LINES
        start, end, first = index.span(low, high + RECORD_LINES_MAX)
        window = lines_split(read_range(start, end), first_line=first, wanted=(low, high + RECORD_LINES_MAX))
        by_number = {number: offset for offset, (number, _) in enumerate(window)}
        while position < len(lines) and lines[position] <= high:
            line = lines[position]
            position += 1
            at = by_number.get(line)
            if at is None:
                continue
            candidates = window[at : at + RECORD_LINES_MAX]
            spanned = min(record_lines(candidates, line, delimiter), RECORD_LINES_MAX)
            text = "\n".join(text for _, text in candidates[:spanned])
            rows.append([*_cells(text, delimiter), line])
            if len(rows) >= _BATCH:
                yield _encoded(rows, out, writer)
                rows = []
    if rows:
        yield _encoded(rows, out, writer)
