"""The "What changed" page of a version: its comparison with the version before it."""

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from uploads.changes import CHANGES_PAGE_SIZE, ChangeRows
from uploads.models import DatasetVersion, VersionStatus
from uploads.views.access import dataset_for_view


@require_GET
def version_changes(request: HttpRequest, dataset_id, number: int) -> HttpResponse:
    """Each section's first page; `?section=<file or anomalies>&page=N` pages one of them."""
    dataset = dataset_for_view(request, dataset_id)
    version = get_object_or_404(DatasetVersion.objects.select_related("compared_to"), dataset=dataset, number=number)
    changes = None
    # A failed version keeps no records: a comparison (written before failed versions got none)
    # would list every record as removed.
    if version.diff_json and version.status != VersionStatus.FAILED:
        with version.diff_json.open("rb") as handle:
            changes = json.load(handle)
        paged = request.GET.get("section", "")
        for section in [*changes["records"], changes["anomalies"]]:
            name = section.get("file", "anomalies")
            rows = ChangeRows(version=version, section=name, total=section["total"], first=section["rows"])
            page = Paginator(rows, CHANGES_PAGE_SIZE).get_page(request.GET.get("page") if name == paged else 1)
            section.update(name=name, page=page, rows=page.object_list)
    context = {"dataset": dataset, "version": version, "changes": changes}
    return render(request, "uploads/version_changes.html", context)
