"""Pages of the Dataset job: list and upload, overview, status, retry, delete."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine import FILES
from jobs.selectors import JobNotice, job_notice
from uploads.forms import DatasetUploadForm
from uploads.models import Dataset, DatasetStatus
from uploads.services import DELETE_JOB, PROCESS_JOB, dataset_create, dataset_delete_request, dataset_retry
from uploads.views.access import dataset_for_view, may_change

WAITING_FOR_BROKER = (
    "The job queue cannot be reached right now: nothing is lost, it starts as soon as the queue is back."
)


def _notice(dataset: Dataset) -> JobNotice | None:
    kind = DELETE_JOB if dataset.status == DatasetStatus.DELETING else PROCESS_JOB
    return job_notice(kind=kind, object_id=str(dataset.pk))


def _tell_if_waiting(request: HttpRequest, dataset: Dataset) -> None:
    notice = _notice(dataset)
    if notice and notice.waiting_for_broker:
        messages.warning(request, WAITING_FOR_BROKER)


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
            _tell_if_waiting(request, dataset)
            return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
    else:
        form = DatasetUploadForm()
    page = Paginator(Dataset.objects.select_related("owner").all(), 25).get_page(request.GET.get("page"))
    return render(request, "uploads/dataset_list.html", {"form": form, "datasets": page, "page": page})


@require_GET
def dataset_detail(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    context = {
        "dataset": dataset,
        "files": FILES,
        "anomaly_counts": dataset.anomaly_counts(),
        "may_change": may_change(request, dataset),
        "job_notice": _notice(dataset),
        "waiting_for_broker": WAITING_FOR_BROKER,
    }
    return render(request, "uploads/dataset_detail.html", context)


@require_GET
def dataset_status(request: HttpRequest, dataset_id) -> JsonResponse:
    dataset = dataset_for_view(dataset_id)
    notice = _notice(dataset)
    return JsonResponse(
        {
            "note": (notice.note if notice else "") or None,
            "waiting_for_broker": bool(notice and notice.waiting_for_broker),
            "status": dataset.status,
            "stage": dataset.stage,
            "percent": dataset.percent,
            "error": dataset.error or None,
            "counts": dataset.counts,
            "anomalies_total": dataset.anomalies_total,
        }
    )


@require_POST
def dataset_retry_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    if not may_change(request, dataset) or not dataset.is_finished:
        raise Http404
    dataset_retry(dataset=dataset)
    messages.info(request, "The dataset is queued for processing again.")
    _tell_if_waiting(request, dataset)
    return redirect("uploads:dataset_detail", dataset_id=dataset.pk)


@require_http_methods(["GET", "POST"])
def dataset_delete_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    if not may_change(request, dataset) or not dataset.is_finished:
        raise Http404
    if request.method == "POST":
        dataset_delete_request(dataset=dataset)
        messages.success(request, f"“{dataset.name}” is being deleted with all its records and files.")
        _tell_if_waiting(request, dataset)
        return redirect("uploads:dataset_list")
    return render(request, "uploads/dataset_confirm_delete.html", {"dataset": dataset})
