"""A corrected copy of an upload: the fixes a person picked, applied to the records they are about,
every other byte as uploaded. No Django here: `uploads.fixes` gathers the edits and stores the result.

An edit is about one record, by the line it starts on: drop it (an exact duplicate row), or set
some of its cells, by field (trimmed, or replaced by a value the anomaly names). Only the edited
records are cut into cells and written again (as CSV with the upload's delimiter); the bytes between
them are copied as they are, so the corrected file differs from the upload by the fixes only.
"""

import csv
import io
from dataclasses import dataclass, field

from contract.dialect import text_decode
from sourcelines.lines import header_cells, line_index_build, record_lines

RECORD_LINES_MAX = 40  # as the source view: a record's quoted text spans at most this many lines
TRIM = object()  # a cell edit that trims the cell's own value


@dataclass
class RecordEdit:
    drop: bool = False
    cells: dict[str, object] = field(default_factory=dict)  # field -> new value, or TRIM


def _encoding(data: bytes, indexed: str) -> str:
    if indexed:  # UTF-16 with its mark
        return indexed
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"  # as the reader falls back
    return "utf-8"


def _written(cells: list[str], delimiter: str) -> str:
    out = io.StringIO()  # with a line terminator, so that a cell holding a line break is quoted
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(cells)
    return out.getvalue()[:-2]


def fixes_apply(data: bytes, edits: dict[int, RecordEdit]) -> bytes:
    """`data` with each record starting at a line of `edits` dropped or its cells changed. Lines
    past the end of the file, and fields the header does not have, are left alone."""
    if not edits:
        return data
    index = line_index_build(data, step=1)  # every line indexed: offsets[n - 1] is where line n starts
    offsets, lines = index.offsets, index.lines
    encoding = _encoding(data, index.encoding)
    delimiter, header = header_cells(text_decode(data[index.header[0] : index.header[1]], index.encoding))
    positions = {cell.strip().strip('"').strip().lower(): position for position, cell in enumerate(header)}
    header_line = int((offsets[:-1] <= index.header[0]).sum())

    def text(number: int) -> str:  # line `number` without its line break
        return data[int(offsets[number - 1]) : int(offsets[number])].decode(encoding, errors="replace").rstrip("\r\n")

    pieces, at = [], 0
    for line in sorted(edits):
        if not header_line < line <= lines or int(offsets[line - 1]) < at:  # the header, or inside an edited record
            continue
        ahead = [(number, text(number)) for number in range(line, min(line + RECORD_LINES_MAX, lines + 1))]
        start, end = int(offsets[line - 1]), int(offsets[min(line - 1 + record_lines(ahead, line, delimiter), lines)])
        edit = edits[line]
        pieces.append(data[at:start])
        at = end
        if edit.drop:
            continue
        raw = data[start:end].decode(encoding, errors="replace")
        body = raw.rstrip("\r\n")
        rows = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))
        cells = rows[0] if rows else []
        for name, value in edit.cells.items():
            position = positions.get(name.lower())
            if position is not None and position < len(cells):
                cells[position] = cells[position].strip(" \t") if value is TRIM else str(value)
        pieces.append((_written(cells, delimiter) + raw[len(body) :]).encode(encoding, errors="replace"))
    pieces.append(data[at:])
    return b"".join(pieces)
