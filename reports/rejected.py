"""The rejected rows of one file of a version, as a CSV a person fixes in a spreadsheet: the file's
header and every record an error rejected (not the exact duplicate rows dropped, a warning), cells
as uploaded, its source line in a last column `source_line`.

The records are read through the line index stored with the version (`sourcelines.lines`): a few ranged
reads per record, never the whole upload at once. Cells that a
spreadsheet would run as a formula are prefixed with `'`, as in the reports (the spec's "Reports").
"""

import csv
import io
from collections.abc import Iterator

from contract import cell_safe
from contract.dialect import text_decode
from reports.source import RECORD_LINES_MAX, _opened
from sourcelines.lines import header_cells, lines_read, record_lines

SOURCE_LINE = "source_line"
_BATCH = 500  # rows written per yielded chunk
_WHOLE = 1 << 62  # read each line whole: a rejected record is given as uploaded


def _cells(text: str, delimiter: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    return [cell for row in rows[:1] for cell in row]


def _encoded(rows: list[list], out: io.StringIO, writer) -> bytes:
    out.seek(0)
    out.truncate()
    writer.writerows([[cell_safe(cell) for cell in row] for row in rows])
    return out.getvalue().encode("utf-8")


def rejected_rows_csv(*, index_file, upload_file, lines: list[int]) -> Iterator[bytes]:
    """The CSV (UTF-8, no byte-order mark: the view adds one) of the records starting at `lines`
    (sorted, distinct), header first. `index_file` and `upload_file` are stored files (a version's
    `FieldFile`s); the lines are found through the index, read in ranges (`sourcelines.lines.lines_read`)."""
    index, reader = _opened(index_file, upload_file)
    start, end = index.header
    delimiter, _ = header_cells(text_decode(reader.read(start, end), index.encoding))
    header = _cells(text_decode(reader.read(start, end), index.encoding), delimiter)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    yield _encoded([[*header, SOURCE_LINE]], out, writer)
    rows: list[list] = []
    for line in (line for line in lines if 1 <= line <= index.lines):
        read = lines_read(index, reader, line, line + RECORD_LINES_MAX - 1, shown=_WHOLE)
        texts = [(found.number, text_decode(found.head, index.encoding)) for found in read]
        spanned = min(record_lines(texts, line, delimiter), RECORD_LINES_MAX)
        rows.append([*_cells("\n".join(text for _, text in texts[:spanned]), delimiter), line])
        if len(rows) >= _BATCH:
            yield _encoded(rows, out, writer)
            rows = []
    if rows:
        yield _encoded(rows, out, writer)
