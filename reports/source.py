"""The source lines of an upload around one line, with the cell an anomaly is about marked.

Reads the line index stored with the version at processing time, then only the byte ranges of
the header and of the lines shown (a ranged GET on S3), never the whole upload. The files are
the version's `FieldFile`s (this layer knows no model: it is handed them).
"""

from dataclasses import dataclass, field

from django.core.files.storage import Storage
from storages.utils import clean_name

from engine import Code
from engine.lines import LineIndex, cell_spans, header_cells, line_index_build, lines_split, record_lines, text_decode

CONTEXT_LINES = 3
# A record whose quoted text spans more physical lines than this is shown cut.
RECORD_LINES_MAX = 40
STRUCTURAL = {Code.MISSING_CELL, Code.EXTRA_CELL, Code.HEADER_UNKNOWN_COLUMN, Code.HEADER_DUPLICATE_COLUMN}


@dataclass
class SourceLine:
    number: int
    segments: list[dict]  # text, cell (0-based or None), marked, position (1-based, shown) or None, blank
    in_record: bool


@dataclass
class SourceView:
    line: int
    lines_total: int
    header: list[str] = field(default_factory=list)
    lines: list[SourceLine] = field(default_factory=list)
    cells: int = 0  # cells of the record
    marked: list[str] = field(default_factory=list)  # what is marked, in words
    found: bool = True


def line_index_render(data: bytes) -> bytes:
    """The stored form of an upload's line index (see `engine.lines`)."""
    return line_index_build(data).to_bytes()


def storage_read_range(*, storage: Storage, name: str, start: int, end: int) -> bytes:
    """Bytes start..end-1 of a stored file, without reading the rest of it."""
    if end <= start:
        return b""
    bucket = getattr(storage, "bucket", None)
    if bucket is not None:
        # django-storages' S3 file object downloads the whole object on first read: a ranged GET instead
        key = storage._normalize_name(clean_name(name))
        return bucket.Object(key).get(Range=f"bytes={start}-{end - 1}")["Body"].read()
    with storage.open(name, "rb") as handle:
        handle.seek(start)
        return handle.read(end - start)


def source_view(*, index_file, upload_file, line: int, field_name: str = "", code: str = "") -> "SourceView":
    """The lines around `line` with the record starting there cut into cells and the anomaly's cell
    marked. `index_file` and `upload_file` are stored files: anything with `.storage` and `.name`
    (a version's `FieldFile`s)."""
    with index_file.storage.open(index_file.name, "rb") as handle:
        index = LineIndex.from_bytes(handle.read())

    def read_range(start: int, end: int) -> bytes:
        return storage_read_range(storage=upload_file.storage, name=upload_file.name, start=start, end=end)

    header_text = text_decode(read_range(index.header[0], index.header[1]))
    delimiter, header = header_cells(header_text)
    view = SourceView(line=line, lines_total=index.lines, header=[cell.strip() for cell in header])
    if not 1 <= line <= index.lines:
        view.found = False
        return view
    low, high = line - CONTEXT_LINES, line + CONTEXT_LINES + RECORD_LINES_MAX
    start, end, first = index.span(low, high)
    lines = lines_split(read_range(start, end), first_line=first, wanted=(low, high))
    spanned = min(record_lines(lines, line, delimiter), RECORD_LINES_MAX)
    record = [text for number, text in lines if line <= number < line + spanned]
    text = "\n".join(record)
    spans = cell_spans(text, delimiter)
    view.cells = len(spans) if text.strip() else 0
    marked = _marked_cells(view, spans=spans, text=text, field_name=field_name, code=code)
    show_positions = code in STRUCTURAL
    pieces = _pieces(text, spans, marked, show_positions, whole=bool(code) and not marked and not field_name)
    by_line = _split_lines(pieces, len(record))
    for number, line_text in lines:
        if number < line - CONTEXT_LINES or number >= line + spanned + CONTEXT_LINES:
            continue
        if line <= number < line + spanned:
            view.lines.append(SourceLine(number=number, segments=by_line[number - line], in_record=True))
        else:
            segment = {"text": line_text, "cell": None, "marked": False, "position": None}
            view.lines.append(SourceLine(number=number, segments=[segment], in_record=False))
    return view


def _marked_cells(view: SourceView, *, spans, text: str, field_name: str, code: str) -> set[int]:
    cells = [text[start:end] for start, end, _ in spans]
    width = len(view.header)
    if code == Code.EXTRA_CELL:
        view.marked = [f"cells {width + 1}–{len(cells)} (past the {width} header columns)"]
        return set(range(width, len(cells)))
    if code == Code.MISSING_CELL:
        view.marked = [f"{len(cells)} cells; the header has {width}"]
        return set()
    if code in (Code.HEADER_UNKNOWN_COLUMN, Code.HEADER_DUPLICATE_COLUMN):
        matching = [i for i, cell in enumerate(cells) if cell.strip().lower() == field_name.strip().lower()]
        chosen = matching[1:] if code == Code.HEADER_DUPLICATE_COLUMN else matching
        view.marked = [f"cell {i + 1}" for i in chosen]
        return set(chosen)
    wanted = field_name.strip().lower()
    if wanted and wanted in view.header and code not in (Code.HEADER_MISSING_COLUMN,):
        position = [cell.lower() for cell in view.header].index(wanted)
        if position < len(cells):
            view.marked = [f"cell {position + 1} ({wanted})"]
            return {position}
    return set()


def _pieces(text: str, spans, marked: set[int], show_positions: bool, whole: bool) -> list[dict]:
    pieces, at = [], 0
    for cell, (start, end, _) in enumerate(spans):
        if start > at:
            pieces.append({"text": text[at:start], "cell": None, "marked": whole, "position": None})
        position = cell + 1 if show_positions else None
        pieces.append(
            {
                "text": text[start:end],
                "cell": cell,
                "marked": whole or cell in marked,
                "position": position,
                "blank": cell in marked and start == end,  # shown as "(blank)", else nothing would be marked
            }
        )
        at = end
    return pieces


def _split_lines(pieces: list[dict], count: int) -> list[list[dict]]:
    """The record's pieces per physical line (a quoted cell may hold line breaks)."""
    lines: list[list[dict]] = [[]]
    for piece in pieces:
        parts = piece["text"].split("\n")
        for number, part in enumerate(parts):
            if number:
                lines.append([])
            if part or (number == 0 and (piece["position"] or piece.get("blank"))):
                lines[-1].append({**piece, "text": part, "position": piece["position"] if number == 0 else None})
    lines.extend([] for _ in range(count - len(lines)))
    return lines[:count] if count else lines
