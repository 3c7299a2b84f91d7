"""What changed between a version and the one that was current when it was processed.

Computed once, at processing time (`reports.diff`), and stored as the version's two diff
reports, so the "What changed" page only reads a small JSON document.
"""

from engine import PipelineResult
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
