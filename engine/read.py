"""Reading a file: decoding, dialect, records with their physical start lines, and the header.

Record boundaries and line numbers come from the byte scan (`scan.py`); pandas' C parser cuts the
cells (`cells.py`).
"""

import csv
import io
import logging
import sys
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contract import SCHEMAS, VALUE_MAX, Code, FileSchema, Limits, message
from contract.dialect import BOM, DELIMITER_NAMES, UTF16_BOMS, delimiter_detect, sep_line
from sourcelines.breaks import LF, byte_positions, line_breaks

from .cells import cells_factorize, cells_parse, column_join
from .codes import anomaly_frame
from .formats import not_csv_kind
from .guidance import closest, header_owner, undecodable_line
from .scan import (
    ASCII_END,
    QUOTE,
    blank_records,
    cells_scan,
    delimiters_count,
    quotes_regular,
    record_spans,
    spans_drop,
    utf8_valid,
)

logger = logging.getLogger(__name__)
_HEADER_BYTES_READ = 2**21
_HEADER_CELL_KEPT = 1_000  # characters of a header cell kept (field names are short; reports quote 200)
_BLANK_DROPPED_FROM = 1_000  # blank lines in a file from which they are left out of pandas' parse


@dataclass
class FileState:
    name: str
    schema: FileSchema
    limits: Limits = field(default_factory=Limits)
    anomalies: list[pd.DataFrame] = field(default_factory=list)
    listed_counts: dict[Code, int] = field(default_factory=dict)  # anomalies listed per code
    omitted: dict[Code, int] = field(default_factory=dict)  # found past the per-code limit, not listed
    limit_notes: list[tuple[str, dict]] = field(default_factory=list)  # what a read limit cut: variant, params
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

    def listed(self, code: Code, positions) -> np.ndarray:
        """The positions whose anomalies fit under the per-code limit; the others are only counted.
        Callers that build params per anomaly call it first, so they build no more than listed."""
        positions = np.asarray(positions)
        room = max(self.limits.anomalies_per_code - self.listed_counts.get(code, 0), 0)
        if positions.size > room:
            self.omitted[code] = self.omitted.get(code, 0) + positions.size - room
            positions = positions[:room]
        return positions

    def add(self, *, code: Code, positions, field_name: str = "", values=None, variant="default", params=None) -> None:
        """`variant` and `params` as `anomaly_frame` takes them (a scalar, or one per position)."""
        wanted = np.asarray(positions)
        positions = self.listed(code, wanted)
        if positions.size == 0:
            return
        if positions.size < wanted.size:
            variant = variant if isinstance(variant, str) else variant[: positions.size]
            params = params if params is None or isinstance(params, dict) else params[: positions.size]
            values = None if values is None else values[: positions.size]
        self.listed_counts[code] = self.listed_counts.get(code, 0) + positions.size
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
                variant=variant,
                params=params,
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

    def longer_than(self, size: int) -> np.ndarray:
        """Records whose text holds more than `size` bytes (so possibly a cell of more than `size` characters)."""
        if self.strings is not None:
            return np.flatnonzero(np.fromiter(map(len, self.strings), dtype=np.int64, count=len(self.strings)) > size)
        return np.flatnonzero((self.ends - self.starts) > size)

    def get(self, positions) -> list[str]:
        if self.strings is not None:
            return [self.strings[p] for p in positions]
        return [str(self.data[s:e], "utf-8") for s, e in zip(self.starts[positions], self.ends[positions])]


def file_read(*, name: str, data: bytes, limits: Limits | None = None) -> FileState:
    """Never raises for any input: whatever the parsers refuse makes the file `file-not-csv`."""
    result = FileState(name=name, schema=SCHEMAS[name], limits=limits or Limits())
    try:
        return _read(result, data)
    except Exception as error:  # a parser's refusal, or a case the engine does not know: logged, never raised
        logger.exception("%s could not be read", name)
        return file_unreadable(result, error)


def file_unreadable(state: FileState, error: Exception) -> FileState:
    """A fresh state for a file whose reading or checking stopped: `file-not-csv`, nothing else."""
    fresh = FileState(name=state.name, schema=state.schema, limits=state.limits)
    return _fail(fresh, Code.FILE_NOT_CSV, "unreadable", error=f"{type(error).__name__}: {error}"[:270])


def utf16_decode(data: bytes) -> tuple[bytes, str] | None:
    """A UTF-16 file with its byte-order mark as UTF-8, and the encoding's name; None for any other file.
    Raises UnicodeDecodeError for UTF-16 that does not decode."""
    encoding = UTF16_BOMS.get(bytes(data[:2]))
    if encoding is None or data[:4] == b"\xff\xfe\x00\x00":  # that mark opens UTF-32
        return None
    return bytes(data[2:]).decode(encoding[0]).encode("utf-8"), encoding[1]


def _from_cp1252(result: FileState, text: memoryview) -> bytes:
    """A file that is not UTF-8 read as cp1252 (which decodes any byte), with its anomaly: the UTF-8 text."""
    bad_line = undecodable_line(text)
    result.dialect["encoding"] = "cp1252 (not UTF-8)"
    result.anomalies.append(
        anomaly_frame(
            file=result.name,
            code=Code.FILE_ENCODING,
            lines=[None],
            values="",
            variant="line",
            params={"line": bad_line},
        )
    )
    return bytes(text).decode("cp1252", errors="replace").encode("utf-8")


def _delimiter(result: FileState, header: memoryview, *, hinted: str | None) -> str:
    """The `sep=` line's delimiter, or the one detected on the header, named in the dialect."""
    # on the header's first MiB: a longer header is hostile, and its start tells the delimiter as well
    delimiter = hinted or delimiter_detect(str(header[: 2**20], "utf-8", "ignore"))
    result.dialect["delimiter"] = DELIMITER_NAMES.get(delimiter, delimiter)
    if hinted:
        result.dialect["delimiter"] += " (from the sep= line)"
    return delimiter


def _read(result: FileState, data: bytes) -> FileState:
    try:
        utf16 = utf16_decode(data)
    except UnicodeDecodeError:
        return _fail(result, Code.FILE_NOT_CSV, "utf16-damaged")
    if utf16 is not None:
        data = utf16[0]
    if b"\x00" in data:
        variant, params = not_csv_kind(data)
        return _fail(result, Code.FILE_NOT_CSV, variant, **params)
    # `data` keeps its BOM (pandas' parser skips it); `text` is a view past it: no copy of the file
    skip = len(BOM) if data.startswith(BOM) else 0
    text = memoryview(data)[skip:]
    result.dialect["encoding"] = utf16[1] if utf16 else "UTF-8 with byte-order mark" if skip else "UTF-8"
    if not utf8_valid(text if skip else data):
        data = _from_cp1252(result, text)
        text = memoryview(data)
    arr = np.frombuffer(text, dtype=np.uint8)
    # `in` on bytes is a fast byte search: the scans for absent bytes are skipped
    break_starts, break_ends = line_breaks(arr, cr_present=b"\r" in data)
    result.dialect["line_ends"] = _line_ends_name(arr, break_starts, break_ends)
    quotes = byte_positions(arr, QUOTE) if b'"' in data else np.zeros(0, dtype=np.intp)
    starts, ends = record_spans(arr.size, break_starts, break_ends, quotes)
    # without quotes every line end ends a record
    lines = np.arange(1, starts.size + 1) if quotes.size == 0 else 1 + np.searchsorted(break_starts, starts)
    del break_starts, break_ends
    # a `sep=` line is no record and no header; it keeps its line number
    hinted = sep_line(str(text[starts[0] : min(ends[0], starts[0] + 16)], "utf-8", "ignore")) if starts.size else None
    above = 1 if hinted else 0
    header_at = _first_filled(text, starts[above:], ends[above:])
    if header_at is None:
        return _fail(result, Code.FILE_EMPTY)
    header_at += above
    header_start, header_end = int(starts[header_at]), int(ends[header_at])
    delimiter = _delimiter(result, text[header_start:header_end], hinted=hinted)
    limit = result.limits.header_columns
    width, cut = delimiters_count(arr, header_start, header_end, quotes, ord(delimiter), limit)
    with _csv_unbounded():
        # a list, not a StringIO (which holds 4 bytes a character); and no more than 2 MiB of header:
        # a thousand field names fit many times over
        read_end = min(cut, header_start + _HEADER_BYTES_READ)
        result.header = next(csv.reader([str(text[header_start:read_end], "utf-8", "ignore")], delimiter=delimiter), [])
    if read_end < cut:
        result.limit_notes.append(("header-bytes", {"size": header_end - header_start, "read": _HEADER_BYTES_READ}))
    # no field name is long: a header cell of megabytes is kept only as far as a report quotes it
    result.header = [cell[:_HEADER_CELL_KEPT] for cell in result.header]
    if width > limit:
        result.limit_notes.append(("header-columns", {"width": int(width), "limit": limit}))
    _header_map(result, line=int(lines[header_at]))
    result.header_width = width
    blank = blank_records(text, arr, starts, ends, delimiter)
    result.records_found = int(np.count_nonzero(~blank[header_at + 1 :]))
    if result.error:
        return result
    every_text = RecordTexts(data=text, starts=starts, ends=ends)
    _blank_rows_add(result, np.flatnonzero(blank[above:header_at]) + above, lines=lines, texts=every_text)
    if quotes_regular(arr, quotes, ord(delimiter)):
        if quotes.size % 2:
            return _fail(result, Code.FILE_NOT_CSV, "open-quote")
        parsed = _cells_fast(data, arr, starts, ends, quotes, delimiter, result, header_at=header_at, blank=blank)
        if parsed is not None:
            frame, kept = parsed
            frame["line"] = lines[kept]
            frame["blank"] = blank[kept]
            result.records = frame
            result.texts = RecordTexts(data=text, starts=starts[kept], ends=ends[kept])
            left_out = np.flatnonzero(blank)
            left_out = left_out[left_out > header_at] if kept.size < starts.size - header_at - 1 else []
            _blank_rows_add(result, left_out, lines=lines, texts=every_text)
            return result
    return _read_slow(result, bytes(text), delimiter, above=above)


def _blank_rows_add(result: FileState, positions, *, lines, texts: "RecordTexts") -> None:
    """`blank-row` for blank lines that are no record of the frame (above the header, or left out of the parse)."""
    positions = result.listed(Code.BLANK_ROW, positions)
    if positions.size == 0:
        return
    result.listed_counts[Code.BLANK_ROW] = result.listed_counts.get(Code.BLANK_ROW, 0) + positions.size
    values = texts.get(positions)
    result.anomalies.append(
        anomaly_frame(
            file=result.name,
            code=Code.BLANK_ROW,
            lines=lines[positions],
            values=values,
        )
    )


def _fail(result: FileState, code: Code, variant: str = "default", **params) -> FileState:
    result.error = f"{result.name}: {message(code, variant, **params)}"
    result.anomalies.append(
        anomaly_frame(file=result.name, code=code, lines=[None], values="", variant=variant, params=params)
    )
    return result


@contextmanager
def _csv_unbounded():
    """Python's csv refuses fields over 128 KiB; the field limit is enforced later, as an anomaly."""
    previous = csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(previous)


def _line_ends_name(arr: np.ndarray, break_starts: np.ndarray, break_ends: np.ndarray) -> str:
    """`LF`, `CRLF`, `CR`, several of them (`mixed: LF, CRLF`) or `none` (a single line)."""
    two = break_ends - break_starts == len(b"\r\n")
    single = arr[break_starts[~two]]
    counts = {"LF": int(np.count_nonzero(single == LF)), "CRLF": int(np.count_nonzero(two))}
    counts["CR"] = int(single.size) - counts["LF"]
    present = [name for name, count in counts.items() if count]
    if not present:
        return "none"
    return present[0] if len(present) == 1 else "mixed: " + ", ".join(present)


def _first_filled(text: memoryview, starts, ends) -> int | None:
    for position in np.flatnonzero(ends > starts):  # empty lines skipped without a look
        first = text[starts[position]]
        if first < ASCII_END and not chr(first).isspace():  # filled at its first byte: no decoding of a long line
            return int(position)
        if str(text[starts[position] : ends[position]], "utf-8").strip():
            return int(position)
    return None


def _header_map(result: FileState, *, line: int) -> None:
    """Header cells to fields, with one anomaly frame per code (no frame per cell)."""
    schema, name = result.schema, result.name
    result.header_width = len(result.header)
    cells = pd.Series(result.header, dtype=object)
    names = cells.str.strip()
    wanted = names.str.lower()
    known = wanted.isin(schema.fields).to_numpy()
    first = known & ~wanted.duplicated(keep="first").to_numpy()
    result.columns = {field_name: int(position) for position, field_name in zip(np.flatnonzero(first), wanted[first])}
    free = [f for f in schema.fields if f not in result.columns]
    owner = header_owner(result.header, name)  # a swapped file: a field-by-field hint would mislead
    for code, mask in ((Code.HEADER_UNKNOWN_COLUMN, ~known), (Code.HEADER_DUPLICATE_COLUMN, known & ~first)):
        positions = result.listed(code, np.flatnonzero(mask))
        if positions.size == 0:
            continue
        result.listed_counts[code] = positions.size
        unknown = code == Code.HEADER_UNKNOWN_COLUMN
        # a header cell may be megabytes long: the field and message quote its start only
        field_names = (names if unknown else wanted).str.slice(0, VALUE_MAX).to_numpy()[positions]
        # one suggestion per listed header cell: the header-columns limit bounds this loop
        hints = [_header_cell_hint(code, n, free=[] if owner else free) for n in field_names]
        frame = anomaly_frame(
            file=name,
            code=code,
            lines=[line] * positions.size,
            values=cells.to_numpy()[positions],
            variant=[variant for variant, _ in hints],
            params=[params for _, params in hints],
        )
        frame["field"] = field_names
        result.anomalies.append(frame)
    # unknown header cells by name -> their 1-based position, the first one winning
    cells = {names.iat[p]: int(p) + 1 for p in np.flatnonzero(~known)[::-1]}
    missing = [f for f in schema.fields if f in schema.required and f not in result.columns]
    for field_name in missing:
        suggestion = closest(field_name, cells)
        if owner:
            variant, params = "swapped", {"other": owner}
        elif suggestion:
            variant, params = "closest", {"closest": suggestion, "position": cells[suggestion]}
        else:
            variant, params = "default", {}
        result.anomalies.append(
            anomaly_frame(
                file=name,
                code=Code.HEADER_MISSING_COLUMN,
                field=field_name,
                lines=[line],
                values="",
                variant=variant,
                params=params,
            )
        )
    if missing:
        hint = f"; the header looks like the {owner} file: were the files swapped?" if owner else ""
        result.error = f"{name}: required column(s) missing: {', '.join(missing)}{hint}"


def _header_cell_hint(code: Code, cell: str, *, free: list[str]) -> tuple[str, dict]:
    """The variant and params of an unknown or duplicate header cell (its name is the field)."""
    suggestion = closest(cell, free) if code == Code.HEADER_UNKNOWN_COLUMN else None
    return ("closest", {"closest": suggestion}) if suggestion else ("default", {})


def _cells_fast(  # noqa: PLR0913 - the scan arrays of `_read`, handed on as they are made
    data: bytes, arr, starts, ends, quotes, delimiter, result: FileState, *, header_at: int, blank
):
    """Cells of the records after the header through pandas' C parser, and the positions of the
    records they are; None when its rows do not match our records."""
    mapped = set(result.columns.values())
    # cells past this are never parsed: they are extra cells, dropped unread
    keep = max(result.limits.line_cells, max(mapped, default=0) + 1)
    cells, suspect, (cut, cut_at) = cells_scan(arr, starts, ends, quotes, ord(delimiter), mapped, cut_after=keep)
    width = max(int(cells.max()), max(mapped, default=0) + 1) if cells.size else 1
    original, skip = data, len(data) - arr.size  # the byte-order mark ahead of `arr`
    # Many blank lines are left out of the parse and of the records (pandas refuses a chunk of blank lines only).
    dropped = np.flatnonzero(blank) if blank.sum() >= _BLANK_DROPPED_FROM else np.zeros(0, dtype=np.intp)
    if cut.size or dropped.size:
        data = original[:skip] + spans_drop(arr, *_spans(starts, ends, cut, cut_at, dropped, arr.size))
        width = min(width, keep)
    cut_records = cut[cut > header_at]  # the header's own cut has its note
    if cut_records.size:
        result.limit_notes.append(("line-cells", {"records": int(cut_records.size), "limit": int(keep)}))
    key = result.schema.key
    parsed = cells_parse(data, delimiter=delimiter, width=width, columns=result.columns, key=key)
    if parsed is None:  # again with every record cut to its mapped cells, all of them parsed
        need = max(mapped, default=0) + 1
        _, _, (cut, cut_at) = cells_scan(arr, starts, ends, quotes, ord(delimiter), mapped, cut_after=need)
        data = original[:skip] + spans_drop(arr, *_spans(starts, ends, cut, cut_at, dropped, arr.size))
        parsed = cells_parse(data, delimiter=delimiter, width=need, columns=result.columns, key=key, every_column=True)
    if parsed is None or parsed[1] != starts.size - dropped.size:
        return None
    parts, rows = parsed
    present = np.ones(starts.size, dtype=bool)
    present[dropped] = False
    present = np.flatnonzero(present)
    first = int(np.searchsorted(present, header_at, side="right"))
    kept = present[first:]
    frame = pd.DataFrame(
        {f: column_join(parts.pop(f), size=rows, kept=slice(first, None), key=f == key) for f in list(parts)},
        copy=False,
    )
    frame["cells"] = cells[kept]
    frame["suspect"] = suspect[kept]
    return frame, kept


def _spans(starts, ends, cut, cut_at, dropped, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Byte spans left out of the parse: the tails of records cut, and whole dropped records with their line end."""
    dropped_ends = np.append(starts[1:], size)[dropped] if dropped.size else dropped
    return np.concatenate([cut_at, starts[dropped]]), np.concatenate([ends[cut], dropped_ends])


def _read_slow(result: FileState, data: bytes, delimiter: str, *, above: int = 0) -> FileState:
    """Python's csv module, for quotes placed where the fast path cannot follow them."""
    captured: list[str] = []

    def lines_fed():
        for physical in io.StringIO(data.decode("utf-8"), newline=""):
            captured.append(physical)
            yield physical

    reader = csv.reader(lines_fed(), delimiter=delimiter, strict=False)
    rows, texts, lines, line = [], [], [], 1
    with _csv_unbounded():
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
        return _fail(result, Code.FILE_NOT_CSV, "open-quote")
    header_at = next(i for i, t in enumerate(texts) if t.strip() and i >= above)
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
