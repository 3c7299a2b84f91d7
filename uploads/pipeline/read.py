"""Reading a file: decoding, dialect, records with their physical start lines, and the header.

Record boundaries and line numbers come from numpy over the bytes; pandas' C parser cuts the cells.
"""

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .codes import Code, anomaly_frame
from .schema import SCHEMAS, FileSchema

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t", "|")
QUOTE, LF, CR = 34, 10, 13
# str.strip() whitespace below 128, line ends aside; bytes >= 128 may start or end a Unicode space.
_WHITESPACE_ASCII = (9, 11, 12, 28, 29, 30, 31, 32)
_BLOCK = 1 << 23


@dataclass
class FileState:
    name: str
    schema: FileSchema
    anomalies: list[pd.DataFrame] = field(default_factory=list)
    error: str | None = None  # set on a file-level error
    header: list[str] = field(default_factory=list)
    columns: dict[str, int] = field(default_factory=dict)  # spec field -> header cell used
    header_width: int = 0
    # One row per record after the header, blank ones included: a column per mapped field (raw text,
    # "" for a missing cell), then line, cells (cells in the record), blank, suspect (may hold whitespace).
    records: pd.DataFrame | None = None
    texts: "RecordTexts | None" = None
    # Filled by the later stages, aligned with `records`.
    raw: pd.DataFrame | None = None  # untrimmed values of the records that had whitespace to trim
    alive: np.ndarray | None = None  # not blank
    rejected: np.ndarray | None = None  # by an error
    duplicate: np.ndarray | None = None  # dropped as a duplicate row

    def persisted(self) -> np.ndarray:
        return self.alive & ~self.rejected & ~self.duplicate

    def lines(self, positions) -> np.ndarray:
        return self.records["line"].to_numpy()[positions]

    def raw_values(self, positions, field_name: str) -> list[str]:
        """The cells as read, before trimming."""
        values = self.records[field_name].to_numpy()[positions]
        if self.raw is not None and len(self.raw):
            untrimmed = self.raw[field_name].reindex(positions)
            values = np.where(untrimmed.notna().to_numpy(), untrimmed.to_numpy(), values)
        return list(values)

    def add(self, *, code: Code, positions, message, field_name: str = "", values=None) -> None:
        positions = np.asarray(positions)
        if positions.size == 0:
            return
        if values is None:
            values = self.texts.get(positions)
        self.anomalies.append(
            anomaly_frame(file=self.name, code=code, field=field_name, lines=self.lines(positions), values=values, message=message)
        )


@dataclass
class RecordTexts:
    """The raw text of records, fetched only for the few that an anomaly quotes."""

    data: bytes = b""
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None
    strings: list[str] | None = None

    def get(self, positions) -> list[str]:
        if self.strings is not None:
            return [self.strings[p] for p in positions]
        return [self.data[s:e].decode("utf-8") for s, e in zip(self.starts[positions], self.ends[positions])]


def file_read(*, name: str, data: bytes) -> FileState:
    result = FileState(name=name, schema=SCHEMAS[name])
    if b"\x00" in data:
        return _fail(result, Code.FILE_NOT_CSV, "holds NUL bytes: not a CSV file")
    if data.startswith(BOM):
        data = data[len(BOM) :]
    if not _is_utf8(data):
        data = data.decode("cp1252", errors="replace").encode("utf-8")
        result.anomalies.append(
            anomaly_frame(file=name, code=Code.FILE_ENCODING, lines=[None], values="", message="not UTF-8; read as cp1252")
        )
    arr = np.frombuffer(data, dtype=np.uint8)
    break_starts, break_ends = _line_breaks(arr)
    quotes = np.flatnonzero(arr == QUOTE)
    starts, ends = _records(arr.size, break_starts, break_ends, quotes)
    lines = 1 + np.searchsorted(break_starts, starts)
    header_at = _first_filled(data, starts, ends)
    if header_at is None:
        return _fail(result, Code.FILE_EMPTY, "has no header line")
    header_text = data[starts[header_at] : ends[header_at]].decode("utf-8")
    delimiter = _delimiter_detect(header_text)
    result.header = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter), [])
    _header_map(result, line=int(lines[header_at]))
    blank = _blank(data, arr, starts, ends, delimiter)
    if result.error:
        return result
    for position in np.flatnonzero(blank[:header_at]):  # blank lines above the header
        result.anomalies.append(
            anomaly_frame(file=name, code=Code.BLANK_ROW, lines=[lines[position]], values="", message="blank line; skipped")
        )
    if _quotes_regular(arr, quotes, ord(delimiter)):
        if quotes.size % 2:
            return _fail(result, Code.FILE_NOT_CSV, "a quote is left open at the end of the file")
        frame = _cells_fast(data, arr, starts, ends, quotes, delimiter, result)
        if frame is not None:
            frame["line"] = lines
            frame["blank"] = blank
            result.records = frame.iloc[header_at + 1 :].reset_index(drop=True)
            result.texts = RecordTexts(data=data, starts=starts[header_at + 1 :], ends=ends[header_at + 1 :])
            return result
    return _read_slow(result, data, delimiter)


def _fail(result: FileState, code: Code, message: str) -> FileState:
    result.error = f"{result.name}: {message}"
    result.anomalies.append(anomaly_frame(file=result.name, code=code, lines=[None], values="", message=message))
    return result


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return True
    # ASCII bytes never belong to a multi-byte sequence: each run of high bytes must decode alone.
    arr = np.frombuffer(data, dtype=np.uint8)
    high = np.flatnonzero(arr >= 128)
    breaks = np.flatnonzero(np.diff(high) != 1)
    run_starts = high[np.concatenate([[0], breaks + 1])]
    run_ends = high[np.concatenate([breaks, [high.size - 1]])] + 1
    lengths = run_ends - run_starts
    runs: set[bytes] = set()
    for length in range(1, 5):  # short runs: the distinct ones through numpy, each decoded once
        at = run_starts[lengths == length]
        key = np.zeros(at.size, dtype=np.int64)
        for offset in range(length):
            key = key * 256 + arr[at + offset]
        runs.update(int(k).to_bytes(length, "big") for k in np.unique(key))
    runs.update(data[s:e] for s, e in zip(run_starts[lengths > 4].tolist(), run_ends[lengths > 4].tolist()))
    try:
        for run in runs:
            run.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _line_breaks(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Byte spans of every physical line end: LF, CRLF or a lone CR."""
    lf = np.flatnonzero(arr == LF)
    cr = np.flatnonzero(arr == CR)
    if cr.size == 0:
        return lf, lf + 1
    after_cr = arr[np.minimum(cr + 1, arr.size - 1)]
    lone = cr[(cr + 1 == arr.size) | (after_cr != LF)]
    lf_starts = lf - ((lf > 0) & (arr[np.maximum(lf - 1, 0)] == CR))
    starts = np.concatenate([lf_starts, lone])
    order = np.argsort(starts, kind="stable")
    return starts[order], np.concatenate([lf + 1, lone + 1])[order]


def _records(size: int, break_starts, break_ends, quotes) -> tuple[np.ndarray, np.ndarray]:
    """Byte spans of records: line ends with an even number of quotes before them end a record."""
    if quotes.size:
        outside = (np.searchsorted(quotes, break_starts) & 1) == 0
        break_starts, break_ends = break_starts[outside], break_ends[outside]
    starts = np.concatenate([[0], break_ends])
    ends = np.concatenate([break_starts, [size]])
    if starts[-1] == size:  # a line end closing the file opens no blank line
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def _first_filled(data: bytes, starts, ends) -> int | None:
    for position, (s, e) in enumerate(zip(starts, ends)):
        if data[s:e].decode("utf-8").strip():
            return position
    return None


def _delimiter_detect(header: str) -> str:
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","


def _header_map(result: FileState, *, line: int) -> None:
    schema, name = result.schema, result.name
    result.header_width = len(result.header)
    for position, cell in enumerate(result.header):
        wanted = cell.strip().lower()
        if wanted not in schema.fields:
            message = f'column "{cell.strip()}" is no field of {name}; ignored'
            code, field_name = Code.HEADER_UNKNOWN_COLUMN, cell.strip()
        elif wanted in result.columns:
            message, code, field_name = f'field "{wanted}" named twice; this column ignored', Code.HEADER_DUPLICATE_COLUMN, wanted
        else:
            result.columns[wanted] = position
            continue
        result.anomalies.append(anomaly_frame(file=name, code=code, field=field_name, lines=[line], values=cell, message=message))
    missing = [f for f in schema.fields if f in schema.required and f not in result.columns]
    for field_name in missing:
        message = f'required field "{field_name}" has no column'
        result.anomalies.append(
            anomaly_frame(file=name, code=Code.HEADER_MISSING_COLUMN, field=field_name, lines=[line], values="", message=message)
        )
    if missing:
        result.error = f"{name}: required column(s) missing: {', '.join(missing)}"


def _blank(data: bytes, arr: np.ndarray, starts, ends, delimiter: str) -> np.ndarray:
    """Records that are an empty line or whitespace only (the delimiter is no whitespace here)."""
    blank = ends == starts
    first = arr[np.minimum(starts, max(arr.size - 1, 0))] if arr.size else np.zeros(0, np.uint8)
    maybe = np.flatnonzero(~blank & (np.isin(first, _WHITESPACE_ASCII) | (first >= 128)))
    for position in maybe:
        text = data[starts[position] : ends[position]].decode("utf-8")
        blank[position] = not text.strip() and delimiter not in text
    return blank


def _quotes_regular(arr: np.ndarray, quotes: np.ndarray, delimiter: int) -> bool:
    """Every quote opens a field, closes it, or is doubled: then quote parity finds record ends."""
    if quotes.size == 0:
        return True
    bounds = np.array([delimiter, LF, CR, QUOTE], dtype=np.uint8)
    opening, closing = quotes[0::2], quotes[1::2]
    before = arr[np.maximum(opening - 1, 0)]
    after = arr[np.minimum(closing + 1, arr.size - 1)]
    return bool(
        np.all((opening == 0) | np.isin(before, bounds)) and np.all((closing == arr.size - 1) | np.isin(after, bounds))
    )


def _cells_fast(data, arr, starts, ends, quotes, delimiter, result: FileState):
    """Cells of every record through pandas' C parser; None when its rows do not match our records."""
    cells, suspect = _scan(arr, starts, ends, quotes, ord(delimiter), set(result.columns.values()))
    width = max(int(cells.max()), result.header_width)
    fields = sorted(result.columns, key=result.columns.get)
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            sep=delimiter,
            header=None,
            names=range(width),
            usecols=[result.columns[f] for f in fields],
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            quotechar='"',
            doublequote=True,
            encoding="utf-8",
            engine="c",
        )
    except (pd.errors.ParserError, ValueError):
        return None
    if len(frame) != starts.size:
        return None
    frame.columns = fields
    frame["cells"] = cells
    frame["suspect"] = suspect
    return frame


def _scan(arr: np.ndarray, starts, ends, quotes, delimiter: int, mapped: set[int]):
    """Cells per record (delimiters outside quotes + 1), and records where a mapped cell may hold
    surrounding whitespace: a whitespace-like byte at a cell edge. In blocks of whole records, so
    the temporaries stay small."""
    maybe_space = np.zeros(256, dtype=bool)
    maybe_space[list(_WHITESPACE_ASCII)] = True
    maybe_space[128:] = True
    maybe_space[delimiter] = False
    cells = np.ones(starts.size, dtype=np.int32)
    suspect = np.zeros(starts.size, dtype=bool)
    size = arr.size
    first = 0
    while first < starts.size:
        last = int(np.searchsorted(starts, starts[first] + _BLOCK, side="left"))
        last = max(last, first + 1)
        low, high = int(starts[first]), int(ends[last - 1])
        at = np.flatnonzero(arr[low:high] == delimiter) + low
        if quotes.size:
            at = at[(np.searchsorted(quotes, at) & 1) == 0]
        owner = np.searchsorted(starts[first:last], at, side="right") - 1
        counts = np.bincount(owner, minlength=last - first)
        cells[first:last] += counts.astype(np.int32)
        # cell index on the left of each delimiter
        before = np.concatenate([[0], np.cumsum(counts)[:-1]])
        left = np.arange(at.size) - before[owner]
        hit = (maybe_space[arr[at - 1]] & np.isin(left, list(mapped))) | (
            maybe_space[arr[np.minimum(at + 1, size - 1)]] & (at + 1 < size) & np.isin(left + 1, list(mapped))
        )
        suspect[first + owner[hit]] = True
        first = last
    filled = ends > starts
    edge_first = filled & maybe_space[arr[np.minimum(starts, size - 1)]] & (0 in mapped)
    edge_last = filled & maybe_space[arr[np.maximum(ends - 1, 0)]] & np.isin(cells - 1, list(mapped))
    suspect |= edge_first | edge_last
    if quotes.size:  # inside quotes any whitespace counts, line breaks and the delimiter too
        maybe_space[[delimiter, LF, CR]] = True
        inner = np.concatenate([quotes[0::2] + 1, quotes[1::2] - 1])
        inner = inner[(inner >= 0) & (inner < size)]
        inner = inner[maybe_space[arr[inner]]]
        suspect[np.searchsorted(starts, inner, side="right") - 1] = True
    return cells, suspect


def _read_slow(result: FileState, data: bytes, delimiter: str) -> FileState:
    """Python's csv module, for quotes placed where the fast path cannot follow them."""
    captured: list[str] = []

    def lines_fed():
        for physical in io.StringIO(data.decode("utf-8"), newline=""):
            captured.append(physical)
            yield physical

    reader = csv.reader(lines_fed(), delimiter=delimiter, strict=False)
    rows, texts, lines, line = [], [], [], 1
    for row in reader:
        text = "".join(captured)
        captured.clear()
        for end in ("\r\n", "\n", "\r"):
            if text.endswith(end):
                text = text[: -len(end)]
                break
        rows.append(row)
        texts.append(text)
        lines.append(line)
        line = reader.line_num + 1
    if texts and _quote_open(texts[-1], delimiter):
        return _fail(result, Code.FILE_NOT_CSV, "a quote is left open at the end of the file")
    header_at = next(i for i, t in enumerate(texts) if t.strip())
    rows, texts, lines = rows[header_at + 1 :], texts[header_at + 1 :], lines[header_at + 1 :]
    frame = pd.DataFrame(
        {f: [r[i] if i < len(r) else "" for r in rows] for f, i in sorted(result.columns.items(), key=lambda x: x[1])},
        dtype=object,
    )
    frame["cells"] = np.array([max(len(r), 1) for r in rows], dtype=np.int64)
    frame["line"] = np.array(lines, dtype=np.int64)
    frame["blank"] = np.array([not t.strip() and delimiter not in t and '"' not in t for t in texts], dtype=bool)
    frame["suspect"] = True
    result.records = frame
    result.texts = RecordTexts(strings=texts)
    return result


def _quote_open(text: str, delimiter: str) -> bool:
    try:
        pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str, engine="c")
    except pd.errors.ParserError as error:
        return "EOF inside string" in str(error)
    except pd.errors.EmptyDataError:
        return False
    return False
