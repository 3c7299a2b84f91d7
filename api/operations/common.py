"""What the operations share: the error answers, paging bounds, forms' errors, `Idempotency-Key`,
and turning rows into answers."""

import json
from uuid import UUID

from django.http import Http404
from django.shortcuts import get_object_or_404
from ninja.errors import HttpError, ValidationError
from ninja.responses import Status

from api import schemas
from api.idempotency import KeyReused, idempotent_call
from uploads.models import Dataset, DatasetVersion
from uploads.selectors import version_progress
from uploads.views.access import dataset_for_view, may_change

PAGE_MAX = 1_000_000
# The 4xx answers of every operation (the middleware adds 401, 411, 413 and 429 before any view).
ERRORS = {frozenset({400, 401, 403, 404, 409, 411, 413, 422, 429}): schemas.Error}


def version_out(version: DatasetVersion, current_id=None) -> schemas.Version:
    progress = version_progress(version=version)
    counts: dict[str, int] = {}
    for row in version.anomaly_counts():
        counts[row["severity"]] = counts.get(row["severity"], 0) + row["count"]
    return schemas.Version(
        id=version.pk,
        dataset_id=version.dataset_id,
        number=version.number,
        status=version.status,
        stage=version.stage,
        stage_label=progress["stage_label"],
        percent=version.percent,
        final=progress["final"],
        current=current_id is not None and version.pk == current_id,
        progress={"done": progress["done"], "total": progress["total"], "detail": progress["detail"]},
        error=version.error or None,
        counts=version.counts or {},
        severity_counts=counts,
        anomalies_total=version.anomalies_total,
        replaced_files=version.replaced_files or [],
        records_kept=version.records_kept,
        created_at=version.created_at,
        started_at=version.started_at,
        finished_at=version.finished_at,
    )


def dataset_out(request, dataset: Dataset) -> schemas.Dataset:
    latest = dataset.versions.order_by("-number").first()
    return schemas.Dataset(
        id=dataset.pk,
        name=dataset.name,
        owner=dataset.owner.get_username() if dataset.owner else None,
        created_at=dataset.created_at,
        deleting=dataset.deleting,
        may_change=may_change(request, dataset) and not dataset.deleting,
        current_version=dataset.current_version.number if dataset.current_version else None,
        latest_version=version_out(latest, dataset.current_version_id) if latest else None,
    )


def version_for_view(request, version_id: UUID) -> DatasetVersion:
    version = get_object_or_404(DatasetVersion.objects.select_related("dataset"), pk=version_id)
    dataset_for_view(request, version.dataset_id)
    return version


def records_key(request, dataset_id: UUID, number: int | None) -> tuple[DatasetVersion, str]:
    """The version whose records a read shows: the current one, or the one asked for by number."""
    dataset = dataset_for_view(request, dataset_id)
    if number is None:
        version = dataset.current_version
    else:
        version = get_object_or_404(DatasetVersion, dataset=dataset, number=number)
    if version is None or not version.records_kept:
        raise Http404("No records of this dataset are available (none published yet, or no longer kept).")
    return version, version.records_key


def as_json(value):
    """A MongoDB document as plain JSON (dates and other types as text)."""
    return json.loads(json.dumps(value, default=str))


def page_out(page, item_out=None) -> dict:
    """A page of Django's Paginator (the catalog's `ElidedPage`) as the API's page body; None is an empty page."""
    if page is None:
        return {"items": [], "page": 1, "pages": 1, "total": 0}
    items = list(page.object_list)
    return {
        "items": [item_out(item) for item in items] if item_out else as_json(items),
        "page": page.number,
        "pages": page.paginator.num_pages,
        "total": page.paginator.count,
    }


def form_valid(form) -> None:
    """A page's form validates the request as it validates the page's (the one place its rules are
    written); its errors are a 422 naming each field."""
    if not form.is_valid():
        errors = [
            {"loc": ["body", name.removesuffix("_file") if name != "__all__" else "form"], "msg": str(message)}
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise ValidationError(errors)


def idempotent(request, key, operation, create):
    """`create` once per `Idempotency-Key` (`api.idempotency`); the answer as ninja sends it."""
    try:
        return Status(*idempotent_call(user=request.user, key=key, operation=operation, create=create))
    except KeyReused as exc:
        raise HttpError(409, str(exc)) from exc
