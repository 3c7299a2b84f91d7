"""Datasets, their versions and a version's reports."""

import json
from uuid import UUID

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from ninja import File, Form, Header, Query, Router, UploadedFile
from ninja.errors import HttpError
from ninja.responses import Status

from api import schemas
from api.operations.common import (
    ERRORS,
    PAGE_MAX,
    dataset_out,
    form_valid,
    idempotent,
    page_out,
    version_for_view,
    version_out,
)
from catalog import selectors
from contract import FILES
from uploads.forms import DatasetUploadForm, VersionUploadForm
from uploads.models import DatasetVersion
from uploads.services import (
    DatasetBusy,
    dataset_create,
    dataset_create_from_workbook,
    dataset_delete_request,
    version_create,
    version_create_from_workbook,
)
from uploads.views.access import dataset_for_change, dataset_for_view, datasets_visible

router = Router()


def _upload_files(form_class, **uploads: UploadedFile | None) -> dict:
    """The API's file fields as the pages' form names them (the one place to adapt when the forms
    change)."""
    files = {f"{file}_file": uploads[file] for file in FILES if uploads.get(file) is not None}
    if uploads.get("workbook") is not None:
        field = next((name for name in form_class.base_fields if name.startswith("workbook")), None)
        if field is None:
            raise HttpError(422, "Workbook uploads are not available on this server; send the three CSV files.")
        files[field] = uploads["workbook"]
    return files


@router.get("/datasets", response={200: schemas.DatasetPage, **ERRORS}, tags=["datasets"])
def datasets_list(
    request,
    name: str | None = Query(None, description="part of the name, any case", max_length=200),
    owner: str | None = Query(None, description="the owner's user name", max_length=150),
    page: int = Query(1, ge=1, le=PAGE_MAX),
    page_size: int = Query(25, ge=1, le=100),
):
    datasets = datasets_visible(user=request.user)
    if name:
        datasets = datasets.filter(name__icontains=name)
    if owner:
        datasets = datasets.filter(owner__username=owner)
    paginator = Paginator(datasets, page_size)
    shown = paginator.get_page(page)
    return {
        "items": [dataset_out(request, dataset) for dataset in shown],
        "page": shown.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


@router.post("/datasets", response={201: schemas.Version, **ERRORS}, tags=["datasets"])
def datasets_create(
    request,
    name: Form[str],
    namespaces: File[UploadedFile] = None,
    datapoints: File[UploadedFile] = None,
    columns: File[UploadedFile] = None,
    workbook: File[UploadedFile] = None,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
):
    """A new dataset and its version 1, queued for processing: the three CSV files, or one workbook."""

    def create() -> tuple[int, dict]:
        files = _upload_files(
            DatasetUploadForm, namespaces=namespaces, datapoints=datapoints, columns=columns, workbook=workbook
        )
        form = DatasetUploadForm({"name": name}, files)
        form_valid(form)
        cleaned = form.cleaned_data["name"]
        if form.workbook():
            version = dataset_create_from_workbook(name=cleaned, owner=request.user, workbook=form.workbook())
        else:
            version = dataset_create(name=cleaned, owner=request.user, files=form.files_by_name())
        return 201, version_out(version).model_dump(mode="json")

    return idempotent(request, idempotency_key, "POST /datasets", create)


@router.get("/datasets/{dataset_id}", response={200: schemas.Dataset, **ERRORS}, tags=["datasets"])
def datasets_read(request, dataset_id: UUID):
    return dataset_out(request, dataset_for_view(request, dataset_id))


@router.delete("/datasets/{dataset_id}", response={202: schemas.Accepted, **ERRORS}, tags=["datasets"])
def datasets_delete(request, dataset_id: UUID):
    """Deletes the dataset with every version, record and file (a worker does it); refused (409)
    while a version is being processed."""
    dataset = dataset_for_change(request, dataset_id)
    try:
        dataset_delete_request(dataset=dataset)
    except DatasetBusy as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(202, {"detail": f"“{dataset.name}” is being deleted.", "code": "deleting"})


@router.get("/datasets/{dataset_id}/versions", response={200: schemas.VersionList, **ERRORS}, tags=["versions"])
def versions_list(request, dataset_id: UUID):
    dataset = dataset_for_view(request, dataset_id)
    return {"items": [version_out(v, dataset.current_version_id) for v in dataset.versions.order_by("-number")]}


@router.post("/datasets/{dataset_id}/versions", response={201: schemas.Version, **ERRORS}, tags=["versions"])
def versions_create(
    request,
    dataset_id: UUID,
    namespaces: File[UploadedFile] = None,
    datapoints: File[UploadedFile] = None,
    columns: File[UploadedFile] = None,
    workbook: File[UploadedFile] = None,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200),
):
    """A new version replacing one to three files (the others are carried over), or a workbook;
    409 while another version of the dataset is being processed."""
    dataset = dataset_for_change(request, dataset_id)

    def create() -> tuple[int, dict]:
        files = _upload_files(
            VersionUploadForm, namespaces=namespaces, datapoints=datapoints, columns=columns, workbook=workbook
        )
        form = VersionUploadForm({}, files)
        form_valid(form)
        try:
            if form.workbook():
                version = version_create_from_workbook(
                    dataset=dataset, created_by=request.user, workbook=form.workbook()
                )
            else:
                version = version_create(dataset=dataset, created_by=request.user, files=form.files_by_name())
        except DatasetBusy as exc:
            raise HttpError(409, str(exc)) from exc
        return 201, version_out(version, dataset.current_version_id).model_dump(mode="json")

    return idempotent(request, idempotency_key, f"POST /datasets/{dataset_id}/versions", create)


@router.get("/versions/{version_id}", response={200: schemas.Version, **ERRORS}, tags=["versions"])
def versions_read(request, version_id: UUID):
    """Status, stage, progress and counts of a version (poll it until `final`)."""
    version = version_for_view(request, version_id)
    return version_out(version, version.dataset.current_version_id)


@router.get("/versions/{version_id}/anomalies", response={200: schemas.AnomalyPage, **ERRORS}, tags=["versions"])
def versions_anomalies(
    request,
    version_id: UUID,
    filters: Query[schemas.AnomalyFilters],
    page: int = Query(1, ge=1, le=PAGE_MAX),
):
    version = version_for_view(request, version_id)
    found = (
        selectors.anomalies_list(
            version=version.records_key, page=page, statuses=version.status_pages, **filters.as_strings()
        )
        if version.records_kept
        else None
    )
    return page_out(found, schemas.anomaly_out)


def _report(version: DatasetVersion, field: str):
    report = getattr(version, field)
    if not report:
        raise Http404("This report is not written yet.")
    try:
        with report.open("rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise Http404("This report is not written yet.") from exc


@router.get("/versions/{version_id}/summary", response={200: dict, **ERRORS}, tags=["reports"])
def versions_summary(request, version_id: UUID):
    """summary.json of the version: counts per file and code, status and error."""
    return json.loads(_report(version_for_view(request, version_id), "summary_json"))


@router.get(
    "/versions/{version_id}/anomalies.csv",
    response={200: str, **ERRORS},
    tags=["reports"],
    openapi_extra={
        "responses": {200: {"description": "anomalies.csv", "content": {"text/csv": {"schema": {"type": "string"}}}}}
    },
)
def versions_anomalies_csv(request, version_id: UUID):
    """anomalies.csv of the version, as the spec writes it."""
    return HttpResponse(_report(version_for_view(request, version_id), "anomalies_csv"), content_type="text/csv")


@router.get("/versions/{version_id}/changes", response={200: dict, **ERRORS}, tags=["reports"])
def versions_changes(request, version_id: UUID):
    """What changed against the version that was current when this one was processed."""
    return json.loads(_report(version_for_view(request, version_id), "diff_json"))
