"""Reading a file: decoding, dialect, records with their physical start lines, and the header.

Record boundaries and line numbers come from numpy over the bytes; pandas' C parser cuts the cells.
"""

import codecs
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
            suspect = _suspects(arr, starts, lines, quotes, delimiter)
            frame["line"] = lines
            frame["blank"] = blank
            frame["suspect"] = suspect
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
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:  # in blocks: validating must not hold a decoded copy of the whole file
        for offset in range(0, len(data), _BLOCK):
            decoder.decode(data[offset : offset + _BLOCK])
        decoder.decode(b"", final=True)
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


def _cells_fast(data, arr, starts, ends, quotes, delimiter, result: FileState) -> pd.DataFrame | None:
    """Cells of every record through pandas' C parser; None when its rows do not match our records."""
    is_delimiter = arr == ord(delimiter)
    if quotes.size:
        segments = np.unique(np.concatenate([starts, quotes]))
        counts = np.add.reduceat(is_delimiter, segments, dtype=np.int64)
        inside = np.isin(segments, quotes[0::2])
        owner = np.searchsorted(starts, segments, side="right") - 1
        cells = 1 + np.bincount(owner[~inside], weights=counts[~inside], minlength=starts.size).astype(np.int64)
    else:
        cells = 1 + np.add.reduceat(is_delimiter, starts, dtype=np.int64)
    del is_delimiter
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
    frame.columns = [f for f in sorted(result.columns, key=result.columns.get)]
    frame["cells"] = cells
    return frame


def _suspects(arr: np.ndarray, starts, lines, quotes, delimiter: str) -> np.ndarray:
    """Records where a whitespace-like byte touches a cell edge; only these are checked exactly."""
    maybe_space = np.zeros(256, dtype=bool)
    maybe_space[list(_WHITESPACE_ASCII)] = True
    maybe_space[128:] = True
    maybe_space[ord(delimiter)] = False
    edge = np.zeros(256, dtype=bool)
    edge[[ord(delimiter), LF, CR]] = True
    found = []
    for offset in range(0, arr.size, _BLOCK):  # in blocks to keep the temporary masks small
        block = arr[offset : offset + _BLOCK + 1]
        space, bound = maybe_space[block], edge[block]
        touching = (space[1:] & bound[:-1]) | (space[:-1] & bound[1:])
        found.append(np.flatnonzero(touching) + offset)
    if quotes.size:  # inside quotes, any whitespace (the delimiter and line breaks too) counts
        maybe_space[[ord(delimiter), LF, CR]] = True
        inner = np.concatenate([quotes[0::2] + 1, quotes[1::2] - 1])
        inner = inner[(inner >= 0) & (inner < arr.size)]
        found.append(inner[maybe_space[arr[inner]]])
    positions = np.concatenate(found) if found else np.zeros(0, np.int64)
    suspect = np.zeros(starts.size, dtype=bool)
    suspect[np.searchsorted(starts, positions, side="right") - 1] = True
    suspect[np.searchsorted(starts, positions + 1, side="right") - 1] = True
    if suspect.size:  # the last cell may touch the end of the file, the first its start
        suspect[-1] = True
        suspect[0] |= arr.size > 0 and bool(maybe_space[arr[0]])
    return suspect


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
