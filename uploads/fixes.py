"""Fixes applied on request: for the groups a person picks whose fix is unambiguous, the corrected
files (`reports.fixes`), to download or to make a new version from at once. The uploaded files
stay as they were: a corrected file is a new upload of a new version.

Unambiguous fixes (`FIXABLE`): a value with spaces around it is trimmed; a near-duplicate is
replaced by its frequent value; a vocabulary value with a did-you-mean is replaced by it; an exact
duplicate row is dropped.

The records an error rejected have no such fix: `version_rejected_rows` gives them as a file to fix
by hand.
"""

import itertools
from collections.abc import Iterator

from django.core.files.base import ContentFile

from catalog import selectors
from contract import FILES, Code
from reports.fixes import TRIM, RecordEdit, fixes_apply
from reports.rejected import rejected_rows_csv
from uploads.models import DatasetVersion
from uploads.services import DatasetBusy, version_create

FIXABLE = (Code.WHITESPACE, Code.NEAR_DUPLICATE, Code.INVALID_VALUE, Code.DUPLICATE_ROW)


def _params(item: dict) -> dict:
    return item.get("params") if isinstance(item.get("params"), dict) else {}


def group_fixable(item: dict) -> bool:
    """Whether the fix of a group (or one anomaly) is unambiguous, so it can be applied for the user."""
    code, params = item.get("code"), _params(item)
    if code == Code.DUPLICATE_ROW:
        return True
    if not item.get("field"):
        return False
    if code == Code.WHITESPACE:
        return True
    if code == Code.NEAR_DUPLICATE:
        return bool(params.get("frequent"))
    return code == Code.INVALID_VALUE and item.get("variant") == "closest" and bool(params.get("closest"))


def _edit(edits: dict[int, RecordEdit], item: dict) -> None:
    line = item.get("line")
    if line is None or not group_fixable(item):
        return
    edit = edits.setdefault(int(line), RecordEdit())
    code, params = item["code"], _params(item)
    if code == Code.DUPLICATE_ROW:
        edit.drop = True
    elif code == Code.WHITESPACE:
        edit.cells.setdefault(item["field"], TRIM)
    else:
        edit.cells[item["field"]] = params["frequent"] if code == Code.NEAR_DUPLICATE else params["closest"]


def fixes_files(*, version: DatasetVersion, groups: list[str]) -> dict[str, bytes]:
    """The version's uploads with the fixes of `groups` (group fingerprints) applied: only the files
    they change, each read once. Groups whose fix is not unambiguous are left out."""
    edits: dict[str, dict[int, RecordEdit]] = {}
    for group in dict.fromkeys(groups):
        for item in selectors.anomaly_group_items(
            version=version.records_key, group=group, statuses=version.status_pages
        ):
            _edit(edits.setdefault(item.get("file", ""), {}), item)
    corrected = {}
    for file, file_edits in edits.items():
        if not file_edits:
            continue
        with getattr(version, file).open("rb") as handle:
            corrected[file] = fixes_apply(handle.read(), file_edits)
    return corrected


class NotTheLatestVersion(DatasetBusy):
    """Fixes of an older version would undo what the versions after it changed."""


def version_is_latest(*, version: DatasetVersion) -> bool:
    """Whether a new version may be made from this one's fixes: it is the dataset's latest."""
    versions = DatasetVersion.objects.filter(dataset_id=version.dataset_id).order_by("-number")
    return version.pk == versions.values_list("pk", flat=True).first()


def version_from_fixes(*, version: DatasetVersion, created_by, groups: list[str]) -> DatasetVersion | None:
    """A new version of the dataset from the corrected files (the other files carried over); None
    when the groups fix nothing. Raises `NotTheLatestVersion` for an older version, and what
    `version_create` raises (`DatasetBusy`)."""
    if not version_is_latest(version=version):
        raise NotTheLatestVersion("A new version is made from the latest version only; download the files instead.")
    corrected = fixes_files(version=version, groups=groups)
    if not corrected:
        return None
    files = {file: ContentFile(content, name=f"{file}.csv") for file, content in corrected.items()}
    return version_create(dataset=version.dataset, created_by=created_by, files=files)


class RejectedRowsUnavailable(Exception):
    """The message says why, for the person who asked."""


def version_rejected_rows(*, version: DatasetVersion | None, file: str) -> Iterator[bytes]:
    """The CSV of the records of `file` an error rejected, as uploaded, with their source line
    (`reports.rejected`; no byte-order mark), in chunks to stream. Its first chunk (the header) is
    read here, so a file that cannot be opened fails before an answer starts. Raises
    `RejectedRowsUnavailable` when the version keeps none."""
    if file not in FILES or version is None or not version.records_kept:
        raise RejectedRowsUnavailable("No rejected rows are kept for this file.")
    index_file = getattr(version, DatasetVersion.line_index_field(file))
    if not index_file:
        raise RejectedRowsUnavailable("This version has no line index: its rejected rows cannot be read.")
    lines = selectors.rejected_lines(version=version.records_key, file=file)
    rows = rejected_rows_csv(index_file=index_file, upload_file=getattr(version, file), lines=lines)
    return itertools.chain([next(rows)], rows)
