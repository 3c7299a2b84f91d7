"""Who may see and change a dataset, which version a page shows, and small request helpers."""

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from uploads.models import Dataset, DatasetVersion, VersionStatus


def dataset_for_view(dataset_id) -> Dataset:
    return get_object_or_404(Dataset.objects.select_related("owner", "current_version"), pk=dataset_id)


def version_shown(dataset: Dataset, number: int | None = None) -> DatasetVersion | None:
    """The version a page shows: the one asked for by number, else the current one, else (before
    any version is done) the latest finished one, so a failed first upload shows its anomalies.
    A version still being processed is never shown unasked: its collections are half written."""
    if number is not None:
        return get_object_or_404(DatasetVersion, dataset=dataset, number=number)
    if dataset.current_version is not None:
        return dataset.current_version
    return dataset.versions.filter(status__in=(VersionStatus.DONE, VersionStatus.FAILED)).first()


def version_with_records(dataset: Dataset, number: int | None = None) -> DatasetVersion | None:
    version = version_shown(dataset, number)
    if number is not None and not version.records_kept:
        raise Http404("The records of this version are no longer kept; its reports are.")
    return version


def may_change(request: HttpRequest, dataset: Dataset) -> bool:
    return request.user.is_staff or dataset.owner_id == request.user.pk


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
