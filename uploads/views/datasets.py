"""Pages of the Dataset job: list and upload, overview, status, retry, delete."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine import FILES
from uploads.forms import DatasetUploadForm
from uploads.services import dataset_create, dataset_delete_request, dataset_retry
from uploads.views.access import dataset_for_change, dataset_for_view, datasets_visible, may_change


@require_http_methods(["GET", "POST"])
def dataset_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Oversized and anonymous bodies never get here (RequestBodyGuardMiddleware).
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
    page = Paginator(datasets_visible(user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "uploads/dataset_list.html", {"form": form, "datasets": page, "page": page})


@require_GET
def dataset_detail(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    context = {
        "dataset": dataset,
        "files": FILES,
        "anomaly_counts": dataset.anomaly_counts(),
        "may_change": may_change(request, dataset),
    }
    return render(request, "uploads/dataset_detail.html", context)


@require_GET
def dataset_status(request: HttpRequest, dataset_id) -> JsonResponse:
    dataset = dataset_for_view(request, dataset_id)
    return JsonResponse(
        {
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
    dataset = dataset_for_change(request, dataset_id)
    if not dataset.is_finished:
        raise Http404
    dataset_retry(dataset=dataset)
    messages.info(request, "The dataset is queued for processing again.")
    return redirect("uploads:dataset_detail", dataset_id=dataset.pk)


@require_http_methods(["GET", "POST"])
def dataset_delete_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_change(request, dataset_id)
    if not dataset.is_finished:
        raise Http404
    if request.method == "POST":
        dataset_delete_request(dataset=dataset)
        messages.success(request, f"“{dataset.name}” is being deleted with all its records and files.")
        return redirect("uploads:dataset_list")
    return render(request, "uploads/dataset_confirm_delete.html", {"dataset": dataset})
