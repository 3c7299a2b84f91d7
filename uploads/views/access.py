"""Who may see and change a dataset, which version a page shows, and small request helpers.

The rule (also in docs/deployment.md, "Who sees what"): the catalog is shared by the team.
- See: every logged-in user sees every dataset and every version of it — the list, its pages,
  versions, "What changed" and its downloads, anomalies, reports, exports and search. Anonymous
  visitors see nothing (LoginRequiredMiddleware).
- Change (upload a new version, process a version again, delete a version or the dataset): the
  dataset's owner, or a staff user. A dataset ingested from the command line has no owner: only
  staff change it.
Every page loads its dataset through `dataset_for_view` or `dataset_for_change`, so the list
(`datasets_visible`) and the pages cannot disagree.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from uploads.models import Dataset, DatasetVersion, VersionStatus


def datasets_visible(*, user) -> QuerySet[Dataset]:
    """Every dataset a logged-in user may see: all of them (a shared team catalog)."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    return Dataset.objects.select_related("owner", "current_version").all()


def may_change(request: HttpRequest, dataset: Dataset) -> bool:
    user = request.user
    return user.is_authenticated and (user.is_staff or (dataset.owner_id is not None and dataset.owner_id == user.pk))


def dataset_for_view(request: HttpRequest, dataset_id) -> Dataset:
    return get_object_or_404(datasets_visible(user=request.user), pk=dataset_id)


def dataset_for_change(request: HttpRequest, dataset_id) -> Dataset:
    """The dataset, if this user may change it; 403 for a dataset they only see, 404 for one
    being deleted."""
    dataset = dataset_for_view(request, dataset_id)
    if not may_change(request, dataset):
        raise PermissionDenied("Only the owner of a dataset or staff may change it.")
    if dataset.deleting:
        raise Http404("This dataset is being deleted.")
    return dataset


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
