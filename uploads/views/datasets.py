"""Pages of the Dataset job: list and upload, overview, status, retry, delete."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine import FILES
from engine.codes import FILE_LEVEL_ERRORS
from uploads.forms import DatasetUploadForm
from uploads.models import Dataset
from uploads.selectors import dataset_file_rows, dataset_progress
from uploads.services import dataset_create, dataset_delete_request, dataset_retry
from uploads.views.access import dataset_for_view, may_change


@require_http_methods(["GET", "POST"])
def dataset_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Refuse an oversized body before Django spools it all to disk.
        if int(request.META.get("CONTENT_LENGTH") or 0) > 3 * settings.UPLOAD_MAX_BYTES + 1_048_576:
            return render(request, "uploads/too_large.html", {"limit": settings.UPLOAD_MAX_BYTES}, status=413)
        form = DatasetUploadForm(request.POST, request.FILES)
        if form.is_valid():
            dataset = dataset_create(
                name=form.cleaned_data["name"],
                owner=request.user,
                namespaces_file=form.cleaned_data["namespaces_file"],
                datapoints_file=form.cleaned_data["datapoints_file"],
                columns_file=form.cleaned_data["columns_file"],
            )
            messages.success(request, f"“{dataset.name}” was uploaded and is queued for processing.")
            return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
    else:
        form = DatasetUploadForm()
    page = Paginator(Dataset.objects.select_related("owner").all(), 25).get_page(request.GET.get("page"))
    rows = [(dataset, None if dataset.is_finished else dataset_progress(dataset=dataset)) for dataset in page]
    return render(request, "uploads/dataset_list.html", {"form": form, "rows": rows, "page": page})


def _duration(dataset: Dataset) -> str:
    if not (dataset.started_at and dataset.finished_at):
        return ""
    seconds = round((dataset.finished_at - dataset.started_at).total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if hours or minutes else []
    return " ".join([*parts, f"{seconds} s"])


def _file_level_errors(dataset: Dataset) -> list[dict]:
    """The errors at file level that failed the dataset, per file and code."""
    return [
        {"file": file, "code": code.value, "count": counts["anomalies"][code.value]}
        for file, counts in (dataset.counts or {}).items()
        for code in FILE_LEVEL_ERRORS
        if (counts.get("anomalies") or {}).get(code.value)
    ]


@require_GET
def dataset_detail(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    context = {
        "dataset": dataset,
        "files": FILES,
        "progress": dataset_progress(dataset=dataset),
        "file_rows": dataset_file_rows(dataset=dataset),
        "file_level_errors": _file_level_errors(dataset),
        "duration": _duration(dataset),
        "anomaly_counts": dataset.anomaly_counts(),
        "may_change": may_change(request, dataset),
    }
    return render(request, "uploads/dataset_detail.html", context)


@require_GET
def dataset_status(request: HttpRequest, dataset_id) -> JsonResponse:
    dataset = dataset_for_view(dataset_id)
    return JsonResponse(dataset_progress(dataset=dataset))


@require_POST
def dataset_retry_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    if not may_change(request, dataset) or not dataset.is_finished:
        raise Http404
    if not dataset.may_retry:
        # the files themselves are at fault: the same files would fail the same way
        messages.error(request, "Processing these files again would fail the same way: fix them and upload again.")
        return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
    dataset_retry(dataset=dataset)
    messages.info(request, "The dataset is queued for processing again.")
    return redirect("uploads:dataset_detail", dataset_id=dataset.pk)


@require_http_methods(["GET", "POST"])
def dataset_delete_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    if not may_change(request, dataset) or not dataset.is_finished:
        raise Http404
    if request.method == "POST":
        dataset_delete_request(dataset=dataset)
        messages.success(request, f"“{dataset.name}” is being deleted with all its records and files.")
        return redirect("uploads:dataset_list")
    return render(request, "uploads/dataset_confirm_delete.html", {"dataset": dataset})
