"""The "What changed" page of a version: its comparison with the version before it."""

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from uploads.models import DatasetVersion
from uploads.views.access import dataset_for_view


@require_GET
def version_changes(request: HttpRequest, dataset_id, number: int) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    version = get_object_or_404(DatasetVersion.objects.select_related("compared_to"), dataset=dataset, number=number)
    changes = None
    if version.diff_json:
        with version.diff_json.open("rb") as handle:
            changes = json.load(handle)
    context = {"dataset": dataset, "version": version, "changes": changes}
    return render(request, "uploads/version_changes.html", context)
