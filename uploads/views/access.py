"""Who may see and change a dataset, and the small request helpers every page shares.

The rule (also in the README, "Who sees what"): the catalog is shared by the team.
- See: every logged-in user sees every dataset — the list, its pages, anomalies, reports,
  exports and search. Anonymous visitors see nothing (LoginRequiredMiddleware).
- Change (process again, delete): the dataset's owner, or a staff user. A dataset ingested from
  the command line has no owner: only staff change it.
Every page loads its dataset through `dataset_for_view` or `dataset_for_change`, so the list
(`datasets_visible`) and the pages cannot disagree.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from uploads.models import Dataset


def datasets_visible(*, user) -> QuerySet[Dataset]:
    """Every dataset a logged-in user may see: all of them (a shared team catalog)."""
    if not user.is_authenticated:
        return Dataset.objects.none()
    return Dataset.objects.select_related("owner").all()


def may_change(request: HttpRequest, dataset: Dataset) -> bool:
    user = request.user
    return user.is_authenticated and (user.is_staff or (dataset.owner_id is not None and dataset.owner_id == user.pk))


def dataset_for_view(request: HttpRequest, dataset_id) -> Dataset:
    return get_object_or_404(datasets_visible(user=request.user), pk=dataset_id)


def dataset_for_change(request: HttpRequest, dataset_id) -> Dataset:
    """The dataset, if this user may process it again or delete it; 403 for a dataset they only see."""
    dataset = dataset_for_view(request, dataset_id)
    if not may_change(request, dataset):
        raise PermissionDenied("Only the owner of a dataset or staff may change it.")
    return dataset


def page_number(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1
