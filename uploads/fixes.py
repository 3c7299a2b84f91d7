"""Fixes applied on request: for the groups a person picks whose fix is unambiguous, the corrected
files (`reports.fixes`), to download or to make a new version from at once. The uploaded files
stay as they were: a corrected file is a new upload of a new version.

Unambiguous fixes (`FIXABLE`): a value with spaces around it is trimmed; a near-duplicate is
replaced by its frequent value; a vocabulary value with a did-you-mean is replaced by it; an exact
duplicate row is dropped.
"""

from django.core.files.base import ContentFile

from catalog import selectors
from contract import Code
from reports.fixes import TRIM, RecordEdit, fixes_apply
from uploads.models import DatasetVersion
from uploads.services import version_create

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


def version_from_fixes(*, version: DatasetVersion, created_by, groups: list[str]) -> DatasetVersion | None:
    """A new version of the dataset from the corrected files (the other files carried over); None
    when the groups fix nothing. Raises what `version_create` raises (`DatasetBusy`)."""
    corrected = fixes_files(version=version, groups=groups)
    if not corrected:
        return None
    files = {file: ContentFile(content, name=f"{file}.csv") for file, content in corrected.items()}
    return version_create(dataset=version.dataset, created_by=created_by, files=files)
