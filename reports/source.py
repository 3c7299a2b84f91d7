"""The source lines of an upload around one line, with the cell an anomaly is about marked.

Reads the line index stored with the version at processing time, then only the byte ranges of
the header and of the lines shown (a ranged GET on S3), never the whole upload. Whatever the
upload holds, the page is bounded: at most LINE_BYTES_SHOWN bytes of each line are read for it, at
most WINDOW_CELLS cells of the record are shown around the one in question, each cut at
CELL_CHARACTERS_SHOWN characters, and the full length of a longer line is counted with numpy
(`sourcelines.lines.line_census`), stated, and offered as a download of its raw bytes. The files are the
version's `FieldFile`s (this layer knows no model: it is handed them).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.core.files.storage import Storage
from storages.utils import clean_name

from contract import Code
from contract.dialect import text_decode
from sourcelines.lines import (
    LineIndex,
    LineRead,
    RangeReader,
    cell_spans,
    header_cells,
    line_census,
    line_index_build,
    lines_read,
    record_lines,
)

CONTEXT_LINES = 3
# A record whose quoted text spans more physical lines than this is shown cut.
RECORD_LINES_MAX = 40
LINE_BYTES_SHOWN = 16 * 1024  # read of each line for the page; the rest is counted, not shown
WINDOW_CELLS = 21  # cells of the record shown: the one in question and its neighbours
CELL_CHARACTERS_SHOWN = 200
CONTEXT_CHARACTERS_SHOWN = 300  # of each line around the record
MARKED_SAID = 5  # marked cells named one by one; past that, counted
STRUCTURAL = {Code.MISSING_CELL, Code.EXTRA_CELL, Code.HEADER_UNKNOWN_COLUMN, Code.HEADER_DUPLICATE_COLUMN}


@dataclass
class SourceLine:
    number: int
    segments: list[dict]  # text, cell (0-based or None), marked, position (1-based, shown) or None, blank, note
    in_record: bool


@dataclass
class SourceView:
    line: int
    lines_total: int
    header: list[str] = field(default_factory=list)  # the header's cells as read (its first LINE_BYTES_SHOWN)
    header_width: int = 0  # cells of the whole header
    lines: list[SourceLine] = field(default_factory=list)
    cells: int = 0  # cells of the record
    characters: int = 0  # characters of the record
    record_bytes: int = 0
    cells_shown: tuple[int, int] = (0, 0)  # first and last cell shown, 1-based
    cut: bool = False  # the record is longer than what the page shows
    marked: list[str] = field(default_factory=list)  # what is marked, in words
    found: bool = True
    previous_line: int | None = None  # a line whose view shows the lines above these
    next_line: int | None = None  # and below


def line_index_render(data: bytes) -> bytes:
    """The stored form of an upload's line index (see `sourcelines.lines`)."""
    return line_index_build(data).to_bytes()


def storage_read_range(*, storage: Storage, name: str, start: int, end: int) -> bytes:
    """Bytes start..end-1 of a stored file, without reading the rest of it."""
    if end <= start:
        return b""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # django-storages' S3 file object downloads the whole object on first read: a ranged GET instead
        key = storage._normalize_name(clean_name(name))  # noqa: SLF001 - django-storages has no public name-to-key
        return bucket.Object(key).get(Range=f"bytes={start}-{end - 1}")["Body"].read()
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def _opened(index_file, upload_file) -> tuple[LineIndex, RangeReader]:
    with index_file.storage.open(index_file.name, "rb") as handle:
        index = LineIndex.from_bytes(handle.read())

    def read_range(start: int, end: int) -> bytes:
        return storage_read_range(storage=upload_file.storage, name=upload_file.name, start=start, end=end)

    return index, RangeReader(read_range, index.size, index.encoding)


def source_line_raw(*, index_file, upload_file, line: int) -> tuple[int, Iterator[bytes]] | None:
    """The length and the bytes, in blocks read as they are sent, of one physical line as uploaded
    (its line break left out); None when the file has no such line."""
    index, reader = _opened(index_file, upload_file)
    if not 1 <= line <= index.lines:
        return None
    (found,) = lines_read(index, reader, line, line, shown=0)
    return found.end - found.start, reader.blocks(found.start, found.end)


def source_view(*, index_file, upload_file, line: int, field_name: str = "", code: str = "") -> "SourceView":
    """The lines around `line` with the record starting there cut into cells and the anomaly's cell
    marked. `index_file` and `upload_file` are stored files: anything with `.storage` and `.name`
    (a version's `FieldFile`s)."""
    index, reader = _opened(index_file, upload_file)
    delimiter, view = _header_read(index, reader, line)
    if not 1 <= line <= index.lines:
        view.found = False
        return view
    read = lines_read(
        index, reader, line - CONTEXT_LINES, line + CONTEXT_LINES + RECORD_LINES_MAX, shown=LINE_BYTES_SHOWN
    )
    texts = {found.number: text_decode(found.head, index.encoding) for found in read}
    spanned = _record_span(read, texts, line, delimiter)
    record = [found for found in read if line <= found.number < line + spanned]
    text = "\n".join(texts[found.number] for found in record)
    spans = cell_spans(text, delimiter)
    view.cut, view.record_bytes = record[-1].cut, record[-1].end - record[0].start
    if view.cut:  # only the last line of a record can be cut: the rest is counted, not read into Python
        view.characters, view.cells = line_census(reader, record[0].start, record[-1].end, delimiter)
    else:
        view.characters, view.cells = len(text) - len(record) + 1, len(spans) if text.strip() else 0
    marked = _marked_cells(view, spans=spans, text=text, field_name=field_name, code=code)
    shown = _window(marked, read=len(spans))
    view.cells_shown = (shown.start + 1, shown.stop) if shown else (0, 0)
    whole = bool(code) and not marked and not field_name
    pieces = _pieces(text, spans, marked=marked, shown=shown, positions=code in STRUCTURAL, whole=whole, view=view)
    by_line = _split_lines(pieces, len(record))
    for found in read:
        if found.number < line - CONTEXT_LINES or found.number >= line + spanned + CONTEXT_LINES:
            continue
        if line <= found.number < line + spanned:
            view.lines.append(SourceLine(number=found.number, segments=by_line[found.number - line], in_record=True))
        else:
            segments = _context_segments(found, texts[found.number])
            view.lines.append(SourceLine(number=found.number, segments=segments, in_record=False))
    _paging(view)
    return view


def _header_read(index: LineIndex, reader: RangeReader, line: int) -> tuple[str, SourceView]:
    start, end = index.header
    head = reader.read(start, min(end, start + LINE_BYTES_SHOWN))
    delimiter, header = header_cells(text_decode(head, index.encoding))
    width = len(header) if end - start <= LINE_BYTES_SHOWN else line_census(reader, start, end, delimiter)[1]
    view = SourceView(line=line, lines_total=index.lines, header=[cell.strip() for cell in header], header_width=width)
    return delimiter, view


def _record_span(read: list[LineRead], texts: dict[int, str], line: int, delimiter: str) -> int:
    """Physical lines of the record starting at `line`; a line read in part ends it."""
    lines = []
    for found in read:
        if found.number >= line:
            lines.append((found.number, texts[found.number]))
            if found.cut:
                break
    return min(record_lines(lines, line, delimiter), RECORD_LINES_MAX)


def _paging(view: SourceView) -> None:
    """Lines whose views show the lines just above and just below these (at most CONTEXT_LINES apart)."""
    first, last = view.lines[0].number, view.lines[-1].number
    view.previous_line = max(1, first - 1 - CONTEXT_LINES) if first > 1 else None
    view.next_line = min(view.lines_total, last + 1 + CONTEXT_LINES) if last < view.lines_total else None


def _marked_cells(view: SourceView, *, spans, text: str, field_name: str, code: str) -> set[int] | range:
    width = view.header_width
    if code == Code.EXTRA_CELL:
        view.marked = [f"cells {width + 1:,}–{view.cells:,} (past the {width:,} header columns)"]
        return range(width, view.cells)
    if code == Code.MISSING_CELL:
        view.marked = [f"{view.cells:,} cells; the header has {width:,}"]
        return set()
    if code in (Code.HEADER_UNKNOWN_COLUMN, Code.HEADER_DUPLICATE_COLUMN):
        cells = [text[start:end] for start, end, _ in spans]
        matching = [i for i, cell in enumerate(cells) if cell.strip().lower() == field_name.strip().lower()]
        chosen = matching[1:] if code == Code.HEADER_DUPLICATE_COLUMN else matching
        view.marked = [f"cell {i + 1:,}" for i in chosen[:MARKED_SAID]]
        if len(chosen) > MARKED_SAID:  # a header of blank names matches every cell
            view.marked.append(f"{len(chosen) - MARKED_SAID:,} more")
        return set(chosen)
    wanted = field_name.strip().lower()
    if wanted and wanted in view.header and code not in (Code.HEADER_MISSING_COLUMN,):
        position = [cell.lower() for cell in view.header].index(wanted)
        if position < view.cells:
            view.marked = [f"cell {position + 1} ({wanted})"]
            return {position}
    return set()


def _window(marked: set[int] | range, *, read: int) -> range:
    """The cells shown: WINDOW_CELLS around the first marked one, among the cells read."""
    focus = (marked.start if marked else 0) if isinstance(marked, range) else min(marked, default=0)
    low = max(0, min(focus - WINDOW_CELLS // 2, read - WINDOW_CELLS))
    return range(low, min(read, low + WINDOW_CELLS))


def _note(text: str, breaks: int = 0) -> dict:
    """A remark in place of text not shown; `breaks` keeps the line breaks of that text."""
    return {"text": "\n" * breaks, "cell": None, "marked": False, "position": None, "note": text}


def _pieces(text: str, spans, *, marked, shown: range, positions: bool, whole: bool, view: SourceView) -> list[dict]:
    pieces = []
    if shown.start > 0:
        hidden = text[: spans[shown.start][0]]
        pieces.append(_note(f"… cells 1–{shown.start:,} …", hidden.count("\n")))
    at = spans[shown.start][0] if shown else 0
    for cell in shown:
        start, end, _ = spans[cell]
        if start > at:
            pieces.append({"text": text[at:start], "cell": None, "marked": whole, "position": None})
        is_marked = whole or cell in marked
        pieces.append(
            {
                "text": text[start : min(end, start + CELL_CHARACTERS_SHOWN)],
                "cell": cell,
                "marked": is_marked,
                "position": cell + 1 if positions else None,
                "blank": cell in marked and start == end,  # shown as "(blank)", else nothing would be marked
            }
        )
        hidden = text[start + CELL_CHARACTERS_SHOWN : end]
        last_read = view.cut and cell == len(spans) - 1
        if hidden and not last_read:
            pieces.append(_note(f"… {len(hidden):,} more characters", hidden.count("\n")))
        at = end
    if view.cut:
        pieces.append(_note(f"… the line goes on: {view.characters:,} characters, {view.cells:,} cells in all"))
    elif shown.stop < len(spans):
        more = view.cells - shown.stop
        pieces.append(_note(f"… {more:,} more cell{'s' if more != 1 else ''}", text[at:].count("\n")))
    return pieces


def _context_segments(found: LineRead, text: str) -> list[dict]:
    segments = [{"text": text[:CONTEXT_CHARACTERS_SHOWN], "cell": None, "marked": False, "position": None}]
    if found.cut or len(text) > CONTEXT_CHARACTERS_SHOWN:
        segments.append(_note(f"… {found.end - found.start:,} bytes in all"))
    return segments


def _split_lines(pieces: list[dict], count: int) -> list[list[dict]]:
    """The record's pieces per physical line (a quoted cell may hold line breaks)."""
    lines: list[list[dict]] = [[]]
    for piece in pieces:
        parts = piece["text"].split("\n")
        for number, part in enumerate(parts):
            if number:
                lines.append([])
            first = number == 0
            if part or (first and (piece["position"] or piece.get("blank") or piece.get("note"))):
                lines[-1].append(
                    {
                        **piece,
                        "text": part,
                        "position": piece["position"] if first else None,
                        "note": piece.get("note", "") if first else "",
                    }
                )
    lines.extend([] for _ in range(count - len(lines)))
    return lines[:count] if count else lines
