"""The REST API, version 1 (django-ninja): what the pages do, for scripts.

Views stay thin: they load through the pages' access rule (`uploads.views.access`), validate
uploads with the pages' forms, and call the services and selectors.
"""

import json
from uuid import UUID

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import get_object_or_404
from ninja import File, Form, Header, NinjaAPI, Query, UploadedFile
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import Status
from ninja.security import APIKeyCookie, HttpBearer

from api import schemas
from api.idempotency import KeyReused, idempotent_call
from api.models import WebhookDelivery, WebhookSubscription
from api.webhooks import WEBHOOK_DELIVERIES_LISTED, delivery_send_again, subscription_create, subscription_delete
from catalog import selectors
from engine import FILES
from reports.exports import export_build, export_build_for_search
from uploads.forms import DatasetUploadForm, VersionUploadForm
from uploads.models import Dataset, DatasetVersion
from uploads.selectors import version_progress
from uploads.services import (
    VersionInProgress,
    dataset_create,
    dataset_delete_request,
    version_create,
    version_in_progress,
)
from uploads.views.access import dataset_for_change, dataset_for_view, datasets_visible, may_change

PAGE_MAX = 1_000_000


class BearerToken(HttpBearer):
    """The token was checked by `ApiRequestMiddleware`, before the body was read."""

    def authenticate(self, request, token):
        return getattr(request, "api_token", None)


class Session(APIKeyCookie):
    """A logged-in browser (the docs page): the session cookie, and the CSRF token on writes."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        return request.user if getattr(request, "api_token", None) is None and request.user.is_authenticated else None


api = NinjaAPI(
    title="zemoga datasets API",
    version="1",
    description="Datasets, versions, anomalies, reports, browse, search and export. See docs/api.md.",
    urls_namespace="api-v1",
    auth=[BearerToken(), Session()],
    docs_url="/docs",
    openapi_url="/openapi.json",
)
# The 4xx answers of every operation (the middleware adds 401, 411, 413 and 429 before any view).
ERRORS = {frozenset({400, 401, 403, 404, 409, 411, 413, 422, 429}): schemas.Error}


# --- Errors: a JSON body for every 4xx -------------------------------------------------------


def _error(request, status: int, detail: str, code: str, errors=None) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "code": code, "errors": errors}, status=status)


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    errors = [
        {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", "invalid"))}
        for error in exc.errors
    ]
    return _error(request, 422, "The request is not valid; see `errors`.", "invalid", errors)


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _error(request, 404, str(exc) or "Not found.", "not_found")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc: PermissionDenied):
    return _error(request, 403, str(exc) or "Not allowed.", "forbidden")


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "Authentication required: send `Authorization: Bearer <token>`.", "unauthenticated")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    codes = {
        400: "bad_request",
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        409: "conflict",
        422: "invalid",
        429: "throttled",
    }
    return _error(request, exc.status_code, str(exc), codes.get(exc.status_code, "error"))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
def _bad_body(request, exc):
    return _error(request, 400, f"The request body could not be read ({exc}).", "bad_request")


# --- Helpers -----------------------------------------------------------------------------------


def _version_out(version: DatasetVersion, current_id=None) -> schemas.Version:
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


def _dataset_out(request, dataset: Dataset) -> schemas.Dataset:
    latest = dataset.versions.order_by("-number").first()
    return schemas.Dataset(
        id=dataset.pk,
        name=dataset.name,
        owner=dataset.owner.get_username() if dataset.owner else None,
        created_at=dataset.created_at,
        deleting=dataset.deleting,
        may_change=may_change(request, dataset) and not dataset.deleting,
        current_version=dataset.current_version.number if dataset.current_version else None,
        latest_version=_version_out(latest, dataset.current_version_id) if latest else None,
    )


def _version_for_view(request, version_id: UUID) -> DatasetVersion:
    version = get_object_or_404(DatasetVersion.objects.select_related("dataset"), pk=version_id)
    dataset_for_view(request, version.dataset_id)
    return version


def _records_key(request, dataset_id: UUID, number: int | None) -> tuple[DatasetVersion, str]:
    """The version whose records a read shows: the current one, or the one asked for by number."""
    dataset = dataset_for_view(request, dataset_id)
    if number is None:
        version = dataset.current_version
    else:
        version = get_object_or_404(DatasetVersion, dataset=dataset, number=number)
    if version is None or not version.records_kept:
        raise Http404("No records of this dataset are available (none published yet, or no longer kept).")
    return version, version.records_key


def _upload_files(form_class, **uploads: UploadedFile | None) -> dict:
    """The API's file fields as the pages' form names them; the one place to adapt when the
    forms change (the workbook field)."""
    files = {f"{file}_file": uploads[file] for file in FILES if uploads.get(file) is not None}
    if uploads.get("workbook") is not None:
        field = next((name for name in form_class.base_fields if name.startswith("workbook")), None)
        if field is None:
            raise HttpError(422, "Workbook uploads are not available on this server; send the three CSV files.")
        files[field] = uploads["workbook"]
    return files


def _form_valid(form) -> None:
    if not form.is_valid():
        errors = [
            {"loc": ["body", name.removesuffix("_file") if name != "__all__" else "form"], "msg": str(message)}
            for name, messages in form.errors.items()
            for message in messages
        ]
        raise ValidationError(errors)


def _json(value):
    """A MongoDB document as plain JSON (dates and other types as text)."""
    return json.loads(json.dumps(value, default=str))


def _page(page) -> dict:
    return {"items": _json(list(page.items)), "page": page.number, "pages": page.pages, "total": page.total}


# --- Datasets and versions ------------------------------------------------------------------


@api.get("/datasets", response={200: schemas.DatasetPage, **ERRORS}, tags=["datasets"])
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
        "items": [_dataset_out(request, dataset) for dataset in shown],
        "page": shown.number,
        "pages": paginator.num_pages,
        "total": paginator.count,
    }


@api.post("/datasets", response={201: schemas.Version, **ERRORS}, tags=["datasets"])
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
        _form_valid(form)
        version = dataset_create(name=form.cleaned_data["name"], owner=request.user, files=form.files_by_name())
        return 201, _version_out(version).model_dump(mode="json")

    return _idempotent(request, idempotency_key, "POST /datasets", create)


def _idempotent(request, key, operation, create):
    try:
        return Status(*idempotent_call(user=request.user, key=key, operation=operation, create=create))
    except KeyReused as exc:
        raise HttpError(409, str(exc)) from exc


@api.get("/datasets/{dataset_id}", response={200: schemas.Dataset, **ERRORS}, tags=["datasets"])
def datasets_read(request, dataset_id: UUID):
    return _dataset_out(request, dataset_for_view(request, dataset_id))


@api.delete("/datasets/{dataset_id}", response={202: schemas.Accepted, **ERRORS}, tags=["datasets"])
def datasets_delete(request, dataset_id: UUID):
    """Deletes the dataset with every version, record and file (a worker does it); refused (409)
    while a version is being processed."""
    dataset = dataset_for_change(request, dataset_id)
    if version_in_progress(dataset=dataset):
        raise HttpError(409, "A version of this dataset is being processed; delete it once that is finished.")
    try:
        dataset_delete_request(dataset=dataset)
    except (VersionInProgress, ValueError) as exc:
        raise HttpError(409, str(exc)) from exc
    return Status(202, {"detail": f"“{dataset.name}” is being deleted.", "code": "deleting"})


@api.get("/datasets/{dataset_id}/versions", response={200: schemas.VersionList, **ERRORS}, tags=["versions"])
def versions_list(request, dataset_id: UUID):
    dataset = dataset_for_view(request, dataset_id)
    return {"items": [_version_out(v, dataset.current_version_id) for v in dataset.versions.order_by("-number")]}


@api.post("/datasets/{dataset_id}/versions", response={201: schemas.Version, **ERRORS}, tags=["versions"])
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
        _form_valid(form)
        try:
            version = version_create(dataset=dataset, created_by=request.user, files=form.files_by_name())
        except VersionInProgress as exc:
            raise HttpError(409, str(exc)) from exc
        return 201, _version_out(version, dataset.current_version_id).model_dump(mode="json")

    return _idempotent(request, idempotency_key, f"POST /datasets/{dataset_id}/versions", create)


@api.get("/versions/{version_id}", response={200: schemas.Version, **ERRORS}, tags=["versions"])
def versions_read(request, version_id: UUID):
    """Status, stage, progress and counts of a version (poll it until `final`)."""
    version = _version_for_view(request, version_id)
    return _version_out(version, version.dataset.current_version_id)


@api.get("/versions/{version_id}/anomalies", response={200: schemas.AnomalyPage, **ERRORS}, tags=["versions"])
def versions_anomalies(
    request,
    version_id: UUID,
    file: schemas.FileName | None = None,
    code: schemas.Code | None = None,
    severity: schemas.Severity | None = None,
    page: int = Query(1, ge=1, le=PAGE_MAX),
):
    version = _version_for_view(request, version_id)
    filters = {"file": file.value if file else "", "code": code.value if code else "", "severity": severity or ""}
    found = (
        selectors.anomalies_list(version=version.records_key, page=page, **{k: str(v) for k, v in filters.items()})
        if version.records_kept
        else selectors.Page()
    )
    return {
        "items": [schemas.anomaly_out(item) for item in found.items],
        "page": found.number,
        "pages": found.pages,
        "total": found.total,
    }


def _report(version: DatasetVersion, field: str):
    report = getattr(version, field)
    if not report:
        raise Http404("This report is not written yet.")
    try:
        with report.open("rb") as handle:
            return handle.read()
    except FileNotFoundError as exc:
        raise Http404("This report is not written yet.") from exc


@api.get("/versions/{version_id}/summary", response={200: dict, **ERRORS}, tags=["reports"])
def versions_summary(request, version_id: UUID):
    """summary.json of the version: counts per file and code, status and error."""
    return json.loads(_report(_version_for_view(request, version_id), "summary_json"))


@api.get(
    "/versions/{version_id}/anomalies.csv",
    response={200: str, **ERRORS},
    tags=["reports"],
    openapi_extra={
        "responses": {200: {"description": "anomalies.csv", "content": {"text/csv": {"schema": {"type": "string"}}}}}
    },
)
def versions_anomalies_csv(request, version_id: UUID):
    """anomalies.csv of the version, as the spec writes it."""
    return HttpResponse(_report(_version_for_view(request, version_id), "anomalies_csv"), content_type="text/csv")


@api.get("/versions/{version_id}/changes", response={200: dict, **ERRORS}, tags=["reports"])
def versions_changes(request, version_id: UUID):
    """What changed against the version that was current when this one was processed."""
    return json.loads(_report(_version_for_view(request, version_id), "diff_json"))


# --- Records: browse, data point, record, search, export ----------------------------------


@api.get("/datasets/{dataset_id}/browse", response={200: schemas.Browse, **ERRORS}, tags=["records"])
def browse(
    request,
    dataset_id: UUID,
    namespace: str = Query("", max_length=500),
    database: str = Query("", max_length=500),
    table: str = Query("", max_length=500),
    column: str = Query("", max_length=500),
    version: int | None = Query(None, ge=1, le=PAGE_MAX),
    page: int = Query(1, ge=1, le=PAGE_MAX),
):
    """One level of namespaces → databases → tables → columns → data points; a deeper level
    needs the ones above it."""
    shown, key = _records_key(request, dataset_id, version)
    path = [namespace, database, table, column]
    depth = 0
    while depth < len(path) and path[depth]:
        depth += 1
    if any(path[depth:]):
        raise HttpError(400, "A deeper level needs every level above it (namespace, database, table, column).")
    if depth == 0:
        found = selectors.namespaces_for_dataset(version=key, page=page)
    elif depth == 1:
        found = selectors.databases_for_namespace(version=key, namespace_id=namespace, page=page)
    elif depth == 2:
        found = selectors.tables_for_database(version=key, namespace_id=namespace, database=database, page=page)
    elif depth == 3:
        found = selectors.columns_for_table(
            version=key, namespace_id=namespace, database=database, table=table, page=page
        )
    else:
        mappings = selectors.mappings_for_column(
            version=key, namespace_id=namespace, database=database, table=table, column=column
        )
        found = selectors.Page(items=mappings, total=len(mappings))
    level = ("namespaces", "databases", "tables", "columns", "datapoints")[depth]
    return {"level": level, "version": shown.number, **_page(found)}


@api.get(
    "/datasets/{dataset_id}/datapoints/{data_point_id}", response={200: schemas.DataPoint, **ERRORS}, tags=["records"]
)
def datapoint(request, dataset_id: UUID, data_point_id: str, page: int = Query(1, ge=1, le=PAGE_MAX)):
    """A data point and every column mapped to it."""
    _, key = _records_key(request, dataset_id, None)
    record = selectors.record_get(version=key, file="datapoints", key=data_point_id)
    if record is None:
        raise Http404("No such data point in this dataset.")
    columns = selectors.columns_for_datapoint(version=key, data_point_id=data_point_id, page=page)
    return {"datapoint": _json(record), "columns": _page(columns)}


@api.get("/datasets/{dataset_id}/records/{file}/{key}", response={200: dict, **ERRORS}, tags=["records"])
def record(request, dataset_id: UUID, file: schemas.FileName, key: str):
    """A saved record of one of the three files, by its key."""
    _, records = _records_key(request, dataset_id, None)
    found = selectors.record_get(version=records, file=file.value, key=key)
    if found is None:
        raise Http404("No such record in this dataset.")
    return _json(found)


@api.get("/datasets/{dataset_id}/search", response={200: schemas.Search, **ERRORS}, tags=["records"])
def search(
    request,
    dataset_id: UUID,
    q: str = Query(..., min_length=1, max_length=200),
    datapoints_page: int = Query(1, ge=1, le=PAGE_MAX),
    columns_page: int = Query(1, ge=1, le=PAGE_MAX),
):
    """Data points and column rows holding every word of `q`."""
    _, key = _records_key(request, dataset_id, None)
    if not q.strip():
        raise HttpError(400, "Search for something (the `q` parameter).")
    found = selectors.dataset_search(
        version=key, query=q.strip(), datapoints_page=datapoints_page, columns_page=columns_page
    )
    return {
        "query": found.query,
        "words": found.words,
        "datapoints": _page(found.datapoints),
        "columns": _page(found.columns),
    }


@api.get("/datasets/{dataset_id}/export", response={200: dict, **ERRORS}, tags=["records"])
def export(
    request,
    dataset_id: UUID,
    namespace: str = Query("", max_length=500),
    database: str = Query("", max_length=500),
    table: str = Query("", max_length=500),
    column: str = Query("", max_length=500),
    q: str = Query("", max_length=200),
):
    """The JSON export of a browse selection (`namespace` and below) or of a search (`q`)."""
    _, key = _records_key(request, dataset_id, None)
    if q.strip():
        return _json(export_build_for_search(version=key, query=q.strip()))
    if not namespace.strip():
        raise HttpError(400, "Choose a namespace (the `namespace` parameter) or a search (`q`) to export.")
    selection = {"database": database.strip(), "table": table.strip(), "column": column.strip()}
    return _json(export_build(version=key, namespace_id=namespace.strip(), **selection))


# --- Webhooks (the page /api/webhooks/ does the same) ----------------------------------------


def _webhook_out(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.pk,
        "url": subscription.url,
        "dataset_id": subscription.dataset_id,
        "event": subscription.event,
        "secret": subscription.secret,
        "created_at": subscription.created_at,
    }


@api.get("/webhooks", response={200: schemas.WebhookList, **ERRORS}, tags=["webhooks"])
def webhooks_list(request):
    """Your subscriptions to `version.finished`."""
    return {"items": [_webhook_out(s) for s in WebhookSubscription.objects.filter(owner=request.user)]}


@api.post("/webhooks", response={201: schemas.Webhook, **ERRORS}, tags=["webhooks"])
def webhooks_create(request, body: schemas.WebhookIn):
    """Subscribes a URL to `version.finished` of one dataset (one you can see) or of every dataset."""
    dataset = dataset_for_view(request, body.dataset_id) if body.dataset_id else None
    if len(str(body.url)) > WebhookSubscription._meta.get_field("url").max_length:
        raise HttpError(422, "The URL is too long (500 characters at most).")
    return Status(201, _webhook_out(subscription_create(owner=request.user, url=str(body.url), dataset=dataset)))


@api.delete("/webhooks/{webhook_id}", response={204: None, **ERRORS}, tags=["webhooks"])
def webhooks_delete(request, webhook_id: UUID):
    if not subscription_delete(owner=request.user, subscription_id=webhook_id):
        raise Http404("No such subscription of yours.")
    return Status(204, None)


@api.get("/webhooks/{webhook_id}/deliveries", response={200: schemas.DeliveryList, **ERRORS}, tags=["webhooks"])
def webhooks_deliveries(request, webhook_id: UUID):
    """The newest deliveries of a subscription: status, answer code, attempts, last error."""
    subscription = get_object_or_404(WebhookSubscription, pk=webhook_id, owner=request.user)
    deliveries = subscription.deliveries.all()[:WEBHOOK_DELIVERIES_LISTED]
    return {"items": list(deliveries)}


@api.post("/deliveries/{delivery_id}/send-again", response={202: schemas.Delivery, **ERRORS}, tags=["webhooks"])
def deliveries_send_again(request, delivery_id: UUID):
    """Queues a new delivery of the same body."""
    delivery = get_object_or_404(WebhookDelivery, pk=delivery_id, subscription__owner=request.user)
    return Status(202, delivery_send_again(delivery=delivery))
