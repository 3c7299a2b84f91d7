"""Writing a table in a dialect; every record's physical start line is counted from what is written."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .content import objects
from .spec import KEY
from .tables import Table

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _quote_one(cell: str, delimiter: str, quote_all: bool) -> str:
    if quote_all or any(c in cell for c in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def table_render(
    table: Table, rng: np.random.Generator, *, delimiter: str, line_ending: str, quote_all: bool
) -> tuple[str | bytes, np.ndarray, list[int]]:
    """The file text, the start line of each record, and the lines of the blank rows."""
    if table.broken == "file-empty":
        return ("", line_ending * 2, f"  {line_ending} {line_ending}")[int(rng.integers(0, 3))], np.array([], int), []
    if table.broken == "file-not-csv" and table.broken_detail == "binary":  # a spreadsheet uploaded instead
        return b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + rng.bytes(200), np.array([], int), []
    width = len(table.layout)
    header = delimiter.join(_quote_one(c.header, delimiter, quote_all) for c in table.layout)

    def quote(cell: str) -> str:
        return _quote_one(cell, delimiter, quote_all)

    text, breaks = None, np.zeros(table.size, dtype=int)
    for position in range(width):
        codes, uniques = pd.factorize(table.cells(position))
        quoted = objects([quote(u) for u in uniques])[codes]
        text = pd.Series(quoted, dtype=object) if text is None else text + delimiter + quoted
        breaks += np.array([len(_LINE_BREAK.findall(u)) for u in uniques], dtype=int)[codes]
    text = text.to_numpy(dtype=object)
    for i in np.flatnonzero(table.ncells != width).tolist():
        cells = [table.cells(p)[i] for p in range(min(width, int(table.ncells[i])))] + table.extras.get(i, [])
        text[i] = delimiter.join(_quote_one(c, delimiter, quote_all) for c in cells)
    for i in np.flatnonzero(table.ncells != width).tolist():
        breaks[i] = len(_LINE_BREAK.findall(text[i]))
    blank_count = np.zeros(table.size, dtype=int)
    for i, blanks in table.blanks.items():
        blank_count[i] = len(blanks)
    heights = 1 + breaks
    starts = 2 + np.concatenate([[0], np.cumsum(heights)[:-1]]) + np.cumsum(blank_count)
    blank_lines = []
    for i in sorted(table.blanks):
        blank_lines += list(range(int(starts[i]) - len(table.blanks[i]), int(starts[i])))
        text[i] = "".join(b + line_ending for b in table.blanks[i]) + text[i]
    body = line_ending.join([header, *text.tolist()])
    if table.broken == "file-not-csv":  # a quote left open at the end of the file
        return body + line_ending + f'{table.values[KEY[table.name]][0]}X{delimiter}"unterminated', starts, blank_lines
    if table.blanks_at_end:  # each ends with its line end: a last line end alone makes no blank line
        after = int(starts[-1] + heights[-1])
        blank_lines += list(range(after, after + len(table.blanks_at_end)))
        return body + line_ending + "".join(b + line_ending for b in table.blanks_at_end), starts, blank_lines
    trailing = rng.random() < 0.8
    return body + (line_ending if trailing else ""), starts, blank_lines


def is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
