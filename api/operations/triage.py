"""The fix loop, for scripts (the groups page does the same): anomalies grouped, a group or one
anomaly accepted and undone, the fixes of picked groups as files or as a new version, and the rows
an error rejected. Thin: the pages' access rule, their accept form, and the triage and fixes services."""

from typing import Annotated
from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from ninja import Header, Path, Query, Router
from ninja.errors import HttpError, ValidationError
from ninja.responses import Status

from api import schemas
from api.operations.common import ERRORS, PAGE_MAX, form_valid, idempotent, version_for_view, version_out
from catalog import selectors
from uploads.anomaly_status import groups_status_counts, items_status_shown
from uploads.fixes import (
    RejectedRowsUnavailable,
    fixes_files,
    group_fixable,
    version_from_fixes,
    version_rejected_rows,
)
from uploads.forms import AnomalyAcceptForm
from uploads.models import AnomalyAcceptance, DatasetVersion
from uploads.services import DatasetBusy
from uploads.triage import AnomalyChosen, anomaly_accept, anomaly_accept_undo
from uploads.views.access import dataset_for_change, dataset_for_view
from uploads.views.anomalies import statuses_pending
from uploads.views.downloads import bom_first, download_name
from uploads.views.triage import corrected_response

router = Router()

_CSV = {"text/csv": {"schema": {"type": "string"}}}
_ZIP = {"application/zip": {"schema": {"type": "string", "contentMediaType": "application/zip"}}}


def _csv_answer(description: str, content: dict) -> dict:
    return {"responses": {200: {"description": description, "content": content}}}


@router.get(
    "/versions/{version_id}/anomaly-groups",
    response={200: schemas.AnomalyGroupPage, **ERRORS},
    tags=["triage"],
)
def versions_anomaly_groups(
    request,
    version_id: UUID,
    filters: Query[schemas.AnomalyFilters],
    page: int = Query(1, ge=1, le=PAGE_MAX),
):
    """One row per file, code, field and value, errors first, then warnings, then info; larger
    groups first. Every group unless `status` keeps those holding anomalies of that status (and
    counts only those)."""
    version = version_for_view(request, version_id)
    pending = statuses_pending(version.dataset, version)
    if not version.records_kept:
        return {"items": [], "page": 1, "pages": 1, "total": 0, "statuses_pending": pending}
    found = selectors.anomaly_groups_list(
        version=version.records_key,
        page=page,
        statuses=version.status_pages,
        **{**filters.as_strings(), "status": filters.status.value if filters.status else "all"},
    )
    items = items_status_shown(dataset_id=version.dataset_id, items=list(found.object_list))
    counts = groups_status_counts(version=version, items=items)
    today = timezone.localdate()
    return {
        "items": [
            schemas.anomaly_group_out(item, statuses=counts[item["group"]], fixable=group_fixable(item), today=today)
            for item in items
        ],
        "page": found.number,
        "pages": found.paginator.num_pages,
        "total": found.paginator.count,
        "statuses_pending": pending,
    }


@router.post("/datasets/{dataset_id}/acceptances", response={201: schemas.Acceptance, **ERRORS}, tags=["triage"])
def acceptances_create(request, dataset_id: UUID, body: schemas.AcceptanceIn):
    """Accepts a group (file, code, field and value) or one anomaly (its fingerprint), with a note and
    optionally until a day, in this version and the next ones; the owner or staff. Accepting the same
    again replaces the note, the day and who accepted it, so a retry needs no `Idempotency-Key`."""
    dataset = dataset_for_change(request, dataset_id)
    form = AnomalyAcceptForm(body.model_dump(mode="json", exclude_none=True))
    form_valid(form)
    data = form.cleaned_data
    acceptance = anomaly_accept(
        dataset=dataset,
        user=request.user,
        scope=data["scope"],
        chosen=AnomalyChosen(**{name: data[name] for name in ("file", "code", "field", "value", "fingerprint")}),
        note=data["note"],
        until=data["until"],
    )
    return Status(201, schemas.acceptance_out(acceptance, timezone.localdate()))


@router.get("/datasets/{dataset_id}/acceptances", response={200: schemas.AcceptancePage, **ERRORS}, tags=["triage"])
def acceptances_list(
    request,
    dataset_id: UUID,
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(25, ge=1, le=100),
):
    """The dataset's decisions, the newest first, with those whose `until` day passed (`active` false)."""
    dataset = dataset_for_view(request, dataset_id)
    acceptances = AnomalyAcceptance.objects.filter(dataset=dataset).select_related("accepted_by")
    paginator = Paginator(acceptances.order_by("-accepted_at", "-pk"), page_size)
    shown = paginator.get_page(page)
    today = timezone.localdate()
    return {
        "items": [schemas.acceptance_out(acceptance, today) for acceptance in shown],
        "page": shown.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


@router.delete("/datasets/{dataset_id}/acceptances/{fingerprint}", response={204: None, **ERRORS}, tags=["triage"])
def acceptances_delete(request, dataset_id: UUID, fingerprint: Annotated[str, Path(pattern=schemas.FINGERPRINT)]):
    """Undoes a decision (its `fingerprint`): what it held needs attention again."""
    dataset = dataset_for_change(request, dataset_id)
    if not anomaly_accept_undo(dataset=dataset, fingerprint=fingerprint):
        raise Http404("Nothing of this dataset is accepted with this fingerprint.")
    return Status(204, None)


def _anomalies_kept(version: DatasetVersion) -> None:
    if not version.records_kept:
        raise Http404("The anomalies of this version are not kept (not processed yet, or no longer kept).")


def _nothing_to_fix() -> ValidationError:
    message = "None of these groups has a fix that can be applied (see `fixable` in anomaly-groups)."
    return ValidationError([{"loc": ["body", "groups"], "msg": message}])


@router.post(
    "/versions/{version_id}/fixes",
    response={201: schemas.Version, **ERRORS},
    tags=["triage"],
    openapi_extra=_csv_answer("the corrected file, or a ZIP of the corrected files", {**_CSV, **_ZIP}),
)
def versions_fixes(
    request,
    version_id: UUID,
    body: schemas.FixesIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
):
    """The version's uploads with the fixes of the picked groups applied (only those whose fix is
    unambiguous): one CSV, or a ZIP when they touch several files, for any reader. With
    `make_version`: a new version of the dataset from them, queued (201, like a new version; the owner
    or staff, from the latest version only; 409 while another version is processed). The uploaded
    files stay as they were."""
    version = version_for_view(request, version_id)
    dataset = version.dataset
    if not body.make_version:
        _anomalies_kept(version)
        corrected = fixes_files(version=version, groups=body.groups)
        if not corrected:
            raise _nothing_to_fix()
        return corrected_response(dataset, version, corrected)
    dataset_for_change(request, dataset.pk)

    def create() -> tuple[int, dict]:
        _anomalies_kept(version)
        try:
            created = version_from_fixes(version=version, created_by=request.user, groups=body.groups)
        except DatasetBusy as exc:
            raise HttpError(409, str(exc)) from exc
        if created is None:
            raise _nothing_to_fix()
        return 201, version_out(created, dataset.current_version_id).model_dump(mode="json")

    return idempotent(request, idempotency_key, f"POST /versions/{version_id}/fixes", create)


@router.get(
    "/versions/{version_id}/rejected/{file}",
    response=ERRORS,
    tags=["triage"],
    openapi_extra=_csv_answer("the rejected rows", _CSV),
)
def versions_rejected(request, version_id: UUID, file: schemas.FileName):
    """The records of one file an error rejected, cells as uploaded, their line in a last column
    `source_line`: a CSV (UTF-8 with a byte-order mark) to fix in a spreadsheet, streamed."""
    version = version_for_view(request, version_id)
    try:
        rows = version_rejected_rows(version=version, file=file.value)
    except RejectedRowsUnavailable as exc:
        raise Http404(str(exc)) from exc
    response = StreamingHttpResponse(bom_first(rows), content_type="text/csv; charset=utf-8")
    name = download_name(version.dataset, f"v{version.number}-rejected-{file.value}.csv")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
