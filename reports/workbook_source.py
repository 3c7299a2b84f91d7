"""The source-line view of a workbook upload: the sheet rows around one row, its cells apart, the
anomaly's cell marked (a workbook has no text lines; see reports/source.py for CSV files)."""

from contract import Code
from reports.source import CONTEXT_LINES, SourceLine, SourceView
from sourcelines.workbook import sheet_rows

_SEPARATOR = {"text": "│", "cell": None, "marked": False, "position": None}


def workbook_row_view(*, upload_file, sheet: str, line: int, field_name: str = "", code: str = "") -> SourceView:
    """The rows around `line` of `sheet`, with the cell that `field_name` / `code` name marked."""
    with upload_file.open("rb") as handle:
        found = sheet_rows(handle.read(), sheet=sheet, first=line - CONTEXT_LINES, last=line + CONTEXT_LINES)
    if found is None or found[0] is None:
        return SourceView(line=line, lines_total=found[2] if found else 0, found=False)
    (header_line, header), rows, total = found
    view = SourceView(line=line, lines_total=total, header=[cell.strip() for cell in header])
    if not 1 <= line <= total:
        view.found = False
        return view
    for number, cells in rows:
        marked = _marked(view, cells, field_name=field_name, code=code) if number == line else set()
        if number == line:
            view.cells = len(cells)
        structural = number == line and code in (Code.EXTRA_CELL, Code.HEADER_UNKNOWN_COLUMN)
        segments = []
        for position, cell in enumerate(cells):
            if position:
                segments.append(_SEPARATOR)
            segments.append(
                {
                    "text": cell,
                    "cell": position,
                    "marked": position in marked,
                    "position": position + 1 if structural else None,
                    "blank": position in marked and cell == "",
                }
            )
        view.lines.append(SourceLine(number=number, segments=segments, in_record=number == line))
    return view


def _marked(view: SourceView, cells: list[str], *, field_name: str, code: str) -> set[int]:
    width, wanted = len(view.header), field_name.strip().lower()
    if code == Code.EXTRA_CELL:
        view.marked = [f"cells {width + 1}–{len(cells)} (past the {width} header columns)"]
        return set(range(width, len(cells)))
    if code in (Code.HEADER_UNKNOWN_COLUMN, Code.HEADER_DUPLICATE_COLUMN):
        matching = [i for i, cell in enumerate(cells) if cell.strip().lower() == wanted]
        chosen = matching[1:] if code == Code.HEADER_DUPLICATE_COLUMN else matching
        view.marked = [f"cell {i + 1}" for i in chosen]
        return set(chosen)
    headers = [cell.lower() for cell in view.header]
    if wanted and wanted in headers and code != Code.HEADER_MISSING_COLUMN:
        position = headers.index(wanted)
        view.marked = [f"cell {position + 1} ({wanted})"]
        return {position}
    return set()
