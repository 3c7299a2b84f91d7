"""Reading a file: decoding, dialect, records with their physical start lines, and the header.

Record boundaries and line numbers come from the byte scan (`scan.py`); pandas' C parser cuts the
cells (`cells.py`).
"""

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .catalogue import message
from .cells import cells_factorize, cells_parse, column_join
from .codes import Code, anomaly_frame
from .guidance import closest, header_owner, undecodable_line
from .scan import (
    LF,
    QUOTE,
    blank_records,
    byte_positions,
    cells_scan,
    line_breaks,
    quotes_regular,
    record_spans,
    utf8_valid,
)
from .schema import SCHEMAS, FileSchema

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


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
    # "" for a missing cell; the key as object strings, any other field a Categorical), then line,
    # cells (cells in the record), blank, suspect (may hold whitespace).
    records: pd.DataFrame | None = None
    texts: "RecordTexts | None" = None
    # Filled by the later stages, aligned with `records`.
    raw: pd.DataFrame | None = None  # untrimmed values of the records that had whitespace to trim
    alive: np.ndarray | None = None  # not blank
    rejected: np.ndarray | None = None  # by an error
    duplicate: np.ndarray | None = None  # dropped as a duplicate row
    # How the file was written (shown to the user, never an anomaly): delimiter, encoding, line ends.
    dialect: dict[str, str] = field(default_factory=dict)
    # Non-blank records below the header, counted even when a header error stops the reading.
    records_found: int = 0

    def persisted(self) -> np.ndarray:
        return self.alive & ~self.rejected & ~self.duplicate

    def lines(self, positions) -> np.ndarray:
        return self.records["line"].to_numpy()[positions]

    def values(self, positions, field_name: str) -> np.ndarray:
        """The (trimmed) values of one field at some records, as an object array."""
        return column_take(self.records[field_name], positions)

    def raw_values(self, positions, field_name: str) -> list[str]:
        """The cells as read, before trimming."""
        values = self.values(positions, field_name)
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
        keys = self.values(positions, self.schema.key) if self.schema.key in self.columns else ""
        self.anomalies.append(
            anomaly_frame(
                file=self.name,
                code=code,
                field=field_name,
                lines=self.lines(positions),
                values=values,
                message=message,
                keys=keys,
            )
        )


def column_array(column: pd.Series) -> "pd.Categorical | np.ndarray":
    """The Categorical of a field, or the key's object array (as is: no NA scan, no copy)."""
    return column.array if isinstance(column.dtype, pd.CategoricalDtype) else column.to_numpy()


def column_take(column: pd.Series, positions) -> np.ndarray:
    """Values at positions as an object array, without expanding the whole Categorical."""
    return np.asarray(column_array(column).take(np.asarray(positions, dtype=np.intp)), dtype=object)


@dataclass
class RecordTexts:
    """The raw text of records, fetched only for the few that an anomaly quotes."""

    data: bytes | memoryview = b""
    starts: np.ndarray | None = None
    ends: np.ndarray | None = None
    strings: list[str] | None = None

    def get(self, positions) -> list[str]:
        if self.strings is not None:
            return [self.strings[p] for p in positions]
        return [str(self.data[s:e], "utf-8") for s, e in zip(self.starts[positions], self.ends[positions])]


def file_read(*, name: str, data: bytes) -> FileState:
    result = FileState(name=name, schema=SCHEMAS[name])
    if b"\x00" in data:
        return _fail(result, Code.FILE_NOT_CSV, message(Code.FILE_NOT_CSV, "nul"))
    # `data` keeps its BOM (pandas' parser skips it); `text` is a view past it: no copy of the file
    skip = len(BOM) if data.startswith(BOM) else 0
    text = memoryview(data)[skip:]
    result.dialect["encoding"] = "UTF-8 with byte-order mark" if skip else "UTF-8"
    if not utf8_valid(text if skip else data):
        bad_line = undecodable_line(text)
        result.dialect["encoding"] = "cp1252 (not UTF-8)"
        data, skip = bytes(text).decode("cp1252", errors="replace").encode("utf-8"), 0
        text = memoryview(data)
        result.anomalies.append(
            anomaly_frame(
                file=name,
                code=Code.FILE_ENCODING,
                lines=[None],
                values="",
                message=message(Code.FILE_ENCODING, "line", line=bad_line),
            )
        )
    arr = np.frombuffer(text, dtype=np.uint8)
    # `in` on bytes is a fast byte search: the scans for absent bytes are skipped
    break_starts, break_ends = line_breaks(arr, cr_present=b"\r" in data)
    result.dialect["line_ends"] = _line_ends_name(arr, break_starts, break_ends)
    quotes = byte_positions(arr, QUOTE) if b'"' in data else np.zeros(0, dtype=np.intp)
    starts, ends = record_spans(arr.size, break_starts, break_ends, quotes)
    # without quotes every line end ends a record
    lines = np.arange(1, starts.size + 1) if quotes.size == 0 else 1 + np.searchsorted(break_starts, starts)
    del break_starts, break_ends
    header_at = _first_filled(text, starts, ends)
    if header_at is None:
        return _fail(result, Code.FILE_EMPTY, message(Code.FILE_EMPTY))
    header_text = str(text[starts[header_at] : ends[header_at]], "utf-8")
    delimiter = delimiter_detect(header_text)
    result.dialect["delimiter"] = DELIMITER_NAMES[delimiter]
    result.header = next(csv.reader(io.StringIO(header_text, newline=""), delimiter=delimiter), [])
    _header_map(result, line=int(lines[header_at]))
    blank = blank_records(text, arr, starts, ends, delimiter)
    result.records_found = int(np.count_nonzero(~blank[header_at + 1 :]))
    if result.error:
        return result
    for position in np.flatnonzero(blank[:header_at]):  # blank lines above the header
        result.anomalies.append(
            anomaly_frame(
                file=name,
                code=Code.BLANK_ROW,
                lines=[lines[position]],
                values="",
                message=message(Code.BLANK_ROW),
            )
        )
    if quotes_regular(arr, quotes, ord(delimiter)):
        if quotes.size % 2:
            return _fail(result, Code.FILE_NOT_CSV, message(Code.FILE_NOT_CSV, "open-quote"))
        kept = slice(header_at + 1, None)
        frame = _cells_fast(data, arr, starts, ends, quotes, delimiter, result, kept=kept)
        if frame is not None:
            frame["line"] = lines[kept]
            frame["blank"] = blank[kept]
            result.records = frame
            result.texts = RecordTexts(data=text, starts=starts[kept], ends=ends[kept])
            return result
    return _read_slow(result, bytes(text), delimiter)


def _fail(result: FileState, code: Code, text: str) -> FileState:
    result.error = f"{result.name}: {text}"
    result.anomalies.append(anomaly_frame(file=result.name, code=code, lines=[None], values="", message=text))
    return result


def _line_ends_name(arr: np.ndarray, break_starts: np.ndarray, break_ends: np.ndarray) -> str:
    """`LF`, `CRLF`, `CR`, several of them (`mixed: LF, CRLF`) or `none` (a single line)."""
    two = break_ends - break_starts == 2
    single = arr[break_starts[~two]]
    counts = {"LF": int(np.count_nonzero(single == LF)), "CRLF": int(np.count_nonzero(two))}
    counts["CR"] = int(single.size) - counts["LF"]
    present = [name for name, count in counts.items() if count]
    if not present:
        return "none"
    return present[0] if len(present) == 1 else "mixed: " + ", ".join(present)


def _first_filled(text: memoryview, starts, ends) -> int | None:
    for position, (s, e) in enumerate(zip(starts, ends)):
        if str(text[s:e], "utf-8").strip():
            return position
    return None


def delimiter_detect(header: str) -> str:
    outside = "".join(part for i, part in enumerate(header.split('"')) if i % 2 == 0)
    counts = {d: outside.count(d) for d in DELIMITERS}
    return max(DELIMITERS, key=lambda d: counts[d]) if any(counts.values()) else ","


def _header_map(result: FileState, *, line: int) -> None:
    schema, name = result.schema, result.name
    result.header_width = len(result.header)
    unknown: list[tuple[int, str]] = []  # 1-based position and text of each unknown header cell
    noted: list[tuple[int, pd.DataFrame]] = []
    for position, cell in enumerate(result.header):
        wanted = cell.strip().lower()
        if wanted not in schema.fields:
            unknown.append((position + 1, cell))
        elif wanted in result.columns:
            text = message(Code.HEADER_DUPLICATE_COLUMN, field=wanted)
            frame = anomaly_frame(
                file=name, code=Code.HEADER_DUPLICATE_COLUMN, field=wanted, lines=[line], values=cell, message=text
            )
            noted.append((position, frame))
        else:
            result.columns[wanted] = position
    free = [f for f in schema.fields if f not in result.columns]
    owner = header_owner(result.header, name)  # a swapped file: a field-by-field hint would mislead
    for position, cell in unknown:
        suggestion = None if owner else closest(cell, free)
        column = cell.strip()
        text = (
            message(Code.HEADER_UNKNOWN_COLUMN, "closest", column=column, file=name, closest=suggestion)
            if suggestion
            else message(Code.HEADER_UNKNOWN_COLUMN, column=column, file=name)
        )
        frame = anomaly_frame(
            file=name, code=Code.HEADER_UNKNOWN_COLUMN, field=column, lines=[line], values=cell, message=text
        )
        noted.append((position - 1, frame))
    result.anomalies.extend(frame for _, frame in sorted(noted, key=lambda pair: pair[0]))
    cells = {cell.strip(): position for position, cell in reversed(unknown)}
    missing = [f for f in schema.fields if f in schema.required and f not in result.columns]
    for field_name in missing:
        suggestion = closest(field_name, cells)
        if owner:
            text = message(Code.HEADER_MISSING_COLUMN, "swapped", field=field_name, other=owner)
        elif suggestion:
            text = message(
                Code.HEADER_MISSING_COLUMN,
                "closest",
                field=field_name,
                closest=suggestion,
                position=cells[suggestion],
            )
        else:
            text = message(Code.HEADER_MISSING_COLUMN, field=field_name)
        result.anomalies.append(
            anomaly_frame(
                file=name, code=Code.HEADER_MISSING_COLUMN, field=field_name, lines=[line], values="", message=text
            )
        )
    if missing:
        hint = f"; the header looks like the {owner} file: were the files swapped?" if owner else ""
        result.error = f"{name}: required column(s) missing: {', '.join(missing)}{hint}"


def _cells_fast(data: bytes, arr, starts, ends, quotes, delimiter, result: FileState, *, kept: slice):
    """Cells of the `kept` records through pandas' C parser; None when its rows do not match our records."""
    cells, suspect = cells_scan(arr, starts, ends, quotes, ord(delimiter), set(result.columns.values()))
    width = max(int(cells.max()), result.header_width)
    key = result.schema.key
    parsed = cells_parse(data, delimiter=delimiter, width=width, columns=result.columns, key=key)
    if parsed is None or parsed[1] != starts.size:
        return None
    parts, rows = parsed
    frame = pd.DataFrame(
        {f: column_join(parts.pop(f), size=rows, kept=kept, key=f == key) for f in list(parts)}, copy=False
    )
    frame["cells"] = cells[kept]
    frame["suspect"] = suspect[kept]
    return frame


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
        return _fail(result, Code.FILE_NOT_CSV, message(Code.FILE_NOT_CSV, "open-quote"))
    header_at = next(i for i, t in enumerate(texts) if t.strip())
    rows, texts, lines = rows[header_at + 1 :], texts[header_at + 1 :], lines[header_at + 1 :]
    frame = pd.DataFrame(
        {
            f: column_join([_cells_of(rows, i, key=f == result.schema.key)], size=len(rows), key=f == result.schema.key)
            for f, i in sorted(result.columns.items(), key=lambda x: x[1])
        }
    )
    frame["cells"] = np.array([max(len(r), 1) for r in rows], dtype=np.int64)
    frame["line"] = np.array(lines, dtype=np.int64)
    frame["blank"] = np.array([not t.strip() and delimiter not in t and '"' not in t for t in texts], dtype=bool)
    frame["suspect"] = True
    result.records = frame
    result.texts = RecordTexts(strings=texts)
    return result


def _cells_of(rows: list[list[str]], position: int, *, key: bool):
    return cells_factorize(np.array([r[position] if position < len(r) else "" for r in rows], dtype=object), key=key)


def _quote_open(text: str, delimiter: str) -> bool:
    try:
        pd.read_csv(io.StringIO(text), sep=delimiter, header=None, dtype=str, engine="c")
    except pd.errors.ParserError as error:
        return "EOF inside string" in str(error)
    except pd.errors.EmptyDataError:
        return False
    return False
