"""Pages of a dataset and its versions: list and upload, overview, status, new version, retry, delete."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contract import FILES
from jobs.selectors import JobNotice, job_notice
from uploads.forms import DatasetUploadForm, VersionUploadForm
from uploads.models import Dataset, DatasetVersion, VersionStatus
from uploads.selectors import version_duration, version_file_level_errors, version_file_rows, version_progress
from uploads.services import (
    DELETE_JOB,
    IN_PROGRESS,
    VERSION_JOB,
    DatasetBusy,
    dataset_create,
    dataset_create_from_workbook,
    dataset_delete_request,
    version_create,
    version_create_from_workbook,
    version_delete,
    version_in_progress,
    version_process_again,
)
from uploads.views.access import dataset_for_change, dataset_for_view, datasets_visible, may_change, version_shown
from uploads.views.help import file_guides, upload_limit_mib

WAITING_FOR_BROKER = (
    "The job queue cannot be reached right now: nothing is lost, it starts as soon as the queue is back."
)


def _notice(dataset: Dataset, version: DatasetVersion | None) -> JobNotice | None:
    """What the jobs app says about the dataset's delete, or else its latest version's processing."""
    if dataset.deleting or version is None:
        deleting = job_notice(kind=DELETE_JOB, object_id=str(dataset.pk))
        if dataset.deleting or (deleting and deleting.note):
            return deleting
    return job_notice(kind=VERSION_JOB, object_id=str(version.pk)) if version else None


def _tell_if_waiting(request: HttpRequest, dataset: Dataset, version: DatasetVersion | None) -> None:
    notice = _notice(dataset, version)
    if notice and notice.waiting_for_broker:
        messages.warning(request, WAITING_FOR_BROKER)


@require_http_methods(["GET", "POST"])
def dataset_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Oversized and anonymous bodies never get here (RequestBodyGuardMiddleware).
        form = DatasetUploadForm(request.POST, request.FILES)
        if form.is_valid():
            if form.workbook():
                version = dataset_create_from_workbook(
                    name=form.cleaned_data["name"], owner=request.user, workbook=form.workbook()
                )
            else:
                version = dataset_create(name=form.cleaned_data["name"], owner=request.user, files=form.files_by_name())
            messages.success(request, f"“{version.dataset.name}” was uploaded and is queued for processing.")
            _tell_if_waiting(request, version.dataset, version)
            return redirect("uploads:dataset_detail", dataset_id=version.dataset_id)
    else:
        form = DatasetUploadForm()
    datasets = datasets_visible(user=request.user).prefetch_related("versions")
    page = Paginator(datasets, 25).get_page(request.GET.get("page"))
    rows = []
    for dataset in page:
        latest = next(iter(dataset.versions.all()), None)  # prefetched, newest first
        following = latest is not None and not latest.is_finished and not dataset.deleting
        rows.append((dataset, latest, version_progress(version=latest) if following else None))
    context = {
        "form": form,
        "rows": rows,
        "page": page,
        "guides": file_guides(),
        "limit": upload_limit_mib(),
    }
    return render(request, "uploads/dataset_list.html", context)


def _detail(request: HttpRequest, dataset: Dataset, version_form: VersionUploadForm, status: int = 200) -> HttpResponse:
    versions = list(dataset.versions.select_related("created_by"))
    shown = version_shown(dataset)
    latest = versions[0] if versions else None
    context = {
        "dataset": dataset,
        "version": shown,
        "latest": latest,
        "progress": version_progress(version=latest) if latest else None,
        "file_level_errors": version_file_level_errors(version=latest),
        "latest_duration": version_duration(version=latest),
        "file_rows": version_file_rows(version=shown),
        "in_progress": version_in_progress(dataset=dataset),
        "versions": versions,
        "files": FILES,
        "anomaly_counts": shown.anomaly_counts() if shown else [],
        "may_change": may_change(request, dataset) and not dataset.deleting,
        "version_form": version_form,
        "job_notice": _notice(dataset, versions[0] if versions else None),
        "waiting_for_broker": WAITING_FOR_BROKER,
    }
    return render(request, "uploads/dataset_detail.html", context, status=status)


@require_GET
def dataset_detail(request: HttpRequest, dataset_id) -> HttpResponse:
    return _detail(request, dataset_for_view(request, dataset_id), VersionUploadForm())


@require_GET
def dataset_status(request: HttpRequest, dataset_id) -> JsonResponse:
    """The latest version's progress, and which version the pages show."""
    dataset = dataset_for_view(request, dataset_id)
    latest = dataset.versions.first()
    if latest is None:
        raise Http404
    notice = _notice(dataset, latest)
    return JsonResponse(
        {
            **version_progress(version=latest),
            "note": (notice.note if notice else "") or None,
            "waiting_for_broker": bool(notice and notice.waiting_for_broker),
            "version": latest.number,
            "current_version": dataset.current_version.number if dataset.current_version else None,
        }
    )


@require_POST
def version_create_view(request: HttpRequest, dataset_id) -> HttpResponse:
    # Oversized and anonymous bodies never get here (RequestBodyGuardMiddleware).
    dataset = dataset_for_change(request, dataset_id)
    form = VersionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            if form.workbook():
                version = version_create_from_workbook(
                    dataset=dataset, created_by=request.user, workbook=form.workbook()
                )
            else:
                version = version_create(dataset=dataset, created_by=request.user, files=form.files_by_name())
        except DatasetBusy as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Version {version.number} was uploaded and is queued for processing.")
            _tell_if_waiting(request, dataset, version)
            return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
    return _detail(request, dataset, form, status=400)


def _version_to_change(request: HttpRequest, dataset_id, number: int) -> DatasetVersion:
    dataset = dataset_for_change(request, dataset_id)
    version = get_object_or_404(DatasetVersion, dataset=dataset, number=number)
    if not version.is_finished:
        raise Http404
    return version


@require_POST
def version_retry_view(request: HttpRequest, dataset_id, number: int) -> HttpResponse:
    version = _version_to_change(request, dataset_id, number)
    if version.status == VersionStatus.FAILED and not version.may_retry:
        # the files themselves are at fault: the same files would fail the same way
        messages.error(request, "Processing these files again would fail the same way: fix them and upload again.")
    else:
        try:
            queued = version_process_again(version=version, requested_by=request.user)
        except DatasetBusy as exc:
            messages.error(request, str(exc))
        else:
            if queued.pk == version.pk:
                messages.info(request, f"Version {version.number} is queued for processing again.")
            else:
                messages.info(
                    request,
                    f"Version {queued.number} was made from the files of version {version.number} and is queued "
                    "for processing; the current version stays what pages show until it is done.",
                )
            _tell_if_waiting(request, version.dataset, queued)
    return redirect("uploads:dataset_detail", dataset_id=version.dataset_id)


@require_http_methods(["GET", "POST"])
def version_delete_view(request: HttpRequest, dataset_id, number: int) -> HttpResponse:
    """GET asks to confirm (what goes, what stays); POST deletes."""
    version = _version_to_change(request, dataset_id, number)
    if version.dataset.current_version_id == version.pk:
        raise Http404
    if request.method == "GET":
        following = version.dataset.versions.filter(compared_to=version).order_by("number").first()
        context = {"dataset": version.dataset, "version": version, "following": following}
        return render(request, "uploads/version_confirm_delete.html", context)
    version_delete(version=version)
    messages.success(request, f"Version {number} was deleted with its records and files.")
    return redirect("uploads:dataset_detail", dataset_id=dataset_id)


@require_http_methods(["GET", "POST"])
def dataset_delete_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_change(request, dataset_id)
    if version_in_progress(dataset=dataset):
        messages.error(request, IN_PROGRESS)
        return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
    if request.method == "POST":
        try:
            dataset_delete_request(dataset=dataset)
        except DatasetBusy as exc:
            messages.error(request, str(exc))
            return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
        messages.success(request, f"“{dataset.name}” is being deleted with all its versions, records and files.")
        _tell_if_waiting(request, dataset, None)
        return redirect("uploads:dataset_list")
    return render(request, "uploads/dataset_confirm_delete.html", {"dataset": dataset})
