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

from engine.lines import header_cells, line_index_build, lines_split, record_lines, text_decode

RECORD_LINES_MAX = 40  # as the source view: a record's quoted text spans at most this many lines
TRIM = object()  # a cell edit that trims the cell's own value


@dataclass
class RecordEdit:
    drop: bool = False
    cells: dict[str, object] = field(default_factory=dict)  # field -> new value, or TRIM


def _encoding(data: bytes) -> str:
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
    index = line_index_build(data, step=1)  # the start of every line: offsets[n - 1] is line n's
    offsets, lines = index.offsets, index.lines
    encoding = _encoding(data)
    delimiter, header = header_cells(text_decode(data[index.header[0] : index.header[1]]))
    positions = {cell.strip().strip('"').strip().lower(): position for position, cell in enumerate(header)}
    header_line = int((offsets[:-1] <= index.header[0]).sum())
    pieces, at = [], 0
    for line in sorted(edits):
        if not header_line < line <= lines:
            continue
        start = int(offsets[line - 1])
        ahead = lines_split(
            data[start : int(offsets[min(line - 1 + RECORD_LINES_MAX, lines)])],
            first_line=line,
            wanted=(line, line + RECORD_LINES_MAX),
        )
        end = int(offsets[min(line - 1 + record_lines(ahead, line, delimiter), lines)])
        if start < at:  # inside a record already edited
            continue
        edit = edits[line]
        pieces.append(data[at:start])
        at = end
        if edit.drop:
            continue
        raw = data[start:end]
        body = raw.rstrip(b"\r\n")
        rows = list(csv.reader(io.StringIO(body.decode(encoding, errors="replace"), newline=""), delimiter=delimiter))
        cells = rows[0] if rows else []
        for name, value in edit.cells.items():
            position = positions.get(name.lower())
            if position is not None and position < len(cells):
                cells[position] = cells[position].strip(" \t") if value is TRIM else str(value)
        pieces.append(_written(cells, delimiter).encode(encoding, errors="replace") + raw[len(body) :])
    pieces.append(data[at:])
    return b"".join(pieces)
