"""Who may see and change a dataset, and the small request helpers every page shares."""

from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from uploads.models import Dataset


def dataset_for_view(dataset_id) -> Dataset:
    return get_object_or_404(Dataset.objects.select_related("owner"), pk=dataset_id)


def may_change(request: HttpRequest, dataset: Dataset) -> bool:
    return request.user.is_staff or dataset.owner_id == request.user.pk


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
