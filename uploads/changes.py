"""What changed between a version and the one that was current when it was processed, as the page
reads it.

Computed once, at processing time (`reports.diff`, stored by `uploads.processing.changes_write`)
as the version's two diff reports, so the "What changed" page only reads a small JSON document.
"""

import csv
import io
import itertools
from collections.abc import Iterator

from contract import FORMULA_STARTS, SEVERITY
from uploads.models import DatasetVersion

# The rows diff_json keeps per section (`reports.diff.diff_dict`): a page of "What changed" holds as
# many, so its first page is read from the JSON and the later ones from the CSV holding them all.
CHANGES_PAGE_SIZE = 500


class ChangeRows:
    """A section's changes as a sequence Django's Paginator can page: the first rows from the
    JSON document, the rest read from changes.csv as a stream, stopping at the page's end."""

    def __init__(self, *, version: DatasetVersion, section: str, total: int, first: list[dict]):
        self.version, self.section, self.total, self.first = version, section, total, first

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, window: slice) -> list[dict]:
        if window.stop <= len(self.first):
            return self.first[window]
        return list(_csv_rows(self.version, self.section, window.start, window.stop))


def _csv_rows(version: DatasetVersion, section: str, start: int, stop: int) -> Iterator[dict]:
    with version.diff_csv.open("rb") as handle:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        rows = (row for row in csv.DictReader(text) if row["section"] == section)
        for row in itertools.islice(rows, start, stop):
            yield _row_shown(row, section)


def _cell_unescaped(text: str) -> str | None:
    """A CSV cell as it was before `contract.cell_safe` guarded it against spreadsheet formulas; None if blank."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text or None


def _row_shown(row: dict, section: str) -> dict:
    line = int(row["line"]) if row["line"] else None
    shown = {name: _cell_unescaped(row[name]) or "" for name in ("change", "file", "key", "field")}
    if section != "anomalies":
        return {**shown, "line": line, "before": _cell_unescaped(row["before"]), "after": _cell_unescaped(row["after"])}
    code = row["code"]
    severity = SEVERITY.get(code)
    message = _cell_unescaped(row["after"] if row["change"] == "new" else row["before"]) or ""
    # the CSV keeps no value column: the message names the value
    return {**shown, "line": line, "code": code, "severity": severity.value if severity else "", "message": message}
