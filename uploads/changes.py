"""What changed between a version and the one that was current when it was processed.

Computed once, at processing time (`reports.diff`), and stored as the version's two diff
reports, so the "What changed" page only reads a small JSON document.
"""

import csv
import io
import itertools
from collections.abc import Iterator

from engine import PipelineResult
from engine.catalogue import SEVERITY
from engine.report import FORMULA_STARTS
from reports.diff import diff_csv, diff_json, version_diff
from uploads.models import DatasetVersion


def changes_write(
    *, version: DatasetVersion, result: PipelineResult, previous: DatasetVersion, previous_result: PipelineResult
) -> None:
    """Stores the comparison of `version` with `previous` as the version's diff reports."""
    diff = version_diff(before=previous_result, after=result)
    version.file_write("diff_json", diff_json(diff))
    version.file_write("diff_csv", diff_csv(diff))
    version.compared_to = previous
    DatasetVersion.objects.filter(pk=version.pk).update(
        diff_json=version.diff_json.name, diff_csv=version.diff_csv.name, compared_to=previous
    )


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
    """A CSV cell as it was before `_cell_safe` guarded it against spreadsheet formulas; None if blank."""
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
