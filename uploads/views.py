"""Pages of a dataset: list and upload, status, browse, data points, anomalies. Thin views."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from urllib.parse import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from uploads import selectors
from uploads.forms import DatasetUploadForm
from uploads.models import Dataset
from uploads.pipeline import FILES, SEVERITY, Code
from uploads.services import dataset_create, dataset_delete_request, dataset_retry


def _dataset(dataset_id) -> Dataset:
    return get_object_or_404(Dataset.objects.select_related("owner"), pk=dataset_id)


def _page(request: HttpRequest) -> int:
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def _may_change(request: HttpRequest, dataset: Dataset) -> bool:
    return request.user.is_staff or dataset.owner_id == request.user.pk


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
    return render(request, "uploads/dataset_list.html", {"form": form, "datasets": page, "page": page})


def _anomaly_counts(dataset: Dataset) -> list[dict]:
    totals: dict[str, int] = {}
    for file_counts in (dataset.counts or {}).values():
        for code, count in (file_counts.get("anomalies") or {}).items():
            totals[code] = totals.get(code, 0) + count
    return [
        {"code": code.value, "severity": SEVERITY[code].value, "count": totals[code.value]}
        for code in Code
        if totals.get(code.value)
    ]


@require_GET
def dataset_detail(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = _dataset(dataset_id)
    context = {
        "dataset": dataset,
        "files": FILES,
        "anomaly_counts": _anomaly_counts(dataset),
        "may_change": _may_change(request, dataset),
    }
    return render(request, "uploads/dataset_detail.html", context)


@require_GET
def dataset_status(request: HttpRequest, dataset_id) -> JsonResponse:
    dataset = _dataset(dataset_id)
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
    dataset = _dataset(dataset_id)
    if not _may_change(request, dataset) or not dataset.is_finished:
        raise Http404
    dataset_retry(dataset=dataset)
    messages.info(request, "The dataset is queued for processing again.")
    return redirect("uploads:dataset_detail", dataset_id=dataset.pk)


@require_http_methods(["GET", "POST"])
def dataset_delete_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = _dataset(dataset_id)
    if not _may_change(request, dataset) or not dataset.is_finished:
        raise Http404
    if request.method == "POST":
        dataset_delete_request(dataset=dataset)
        messages.success(request, f"“{dataset.name}” is being deleted with all its records and files.")
        return redirect("uploads:dataset_list")
    return render(request, "uploads/dataset_confirm_delete.html", {"dataset": dataset})


LEVELS = ("namespace", "database", "table", "column")


def _browse_url(dataset: Dataset, **path: str) -> str:
    query = urlencode({part: path[part] for part in LEVELS if path.get(part)})
    return reverse("uploads:browse", args=[dataset.pk]) + (f"?{query}" if query else "")


def _breadcrumbs(dataset: Dataset, path: dict[str, str]) -> list[tuple[str, str]]:
    crumbs = [("Namespaces", _browse_url(dataset))]
    for depth, part in enumerate(LEVELS):
        if path[part]:
            crumbs.append((path[part], _browse_url(dataset, **{p: path[p] for p in LEVELS[: depth + 1]})))
    return crumbs


@require_GET
def browse(request: HttpRequest, dataset_id) -> HttpResponse:
    """One page per level; the selected path lives in the query string, not in the session."""
    dataset = _dataset(dataset_id)
    key = str(dataset.pk)
    path = {part: request.GET.get(part, "").strip() for part in LEVELS}
    # A deeper part without its parent is meaningless: cut the path at the first gap.
    for depth, part in enumerate(LEVELS):
        if not path[part]:
            path.update({deeper: "" for deeper in LEVELS[depth:]})
            break
    page_number = _page(request)
    selected = urlencode({part: path[part] for part in LEVELS if path[part]})
    context = {"dataset": dataset, "path": path, "crumbs": _breadcrumbs(dataset, path),
               "page_query": f"{selected}&" if selected else ""}
    if not path["namespace"]:
        page = selectors.namespaces_for_dataset(dataset_id=key, page=page_number)
        items = [{**item, "url": _browse_url(dataset, namespace=item["namespace_id"])} for item in page.items]
        context.update(level="namespaces", page=page, items=items)
        return render(request, "uploads/browse.html", context)
    namespace = selectors.namespace_get(dataset_id=key, namespace_id=path["namespace"])
    if namespace is None:
        raise Http404("No such namespace in this dataset.")
    context["namespace"] = namespace
    context["export_url"] = reverse("uploads:export_json", args=[dataset.pk]) + "?" + selected
    depth = sum(bool(path[part]) for part in LEVELS)
    level, child, lister = {
        1: ("databases", "database", selectors.databases_for_namespace),
        2: ("tables", "table", selectors.tables_for_database),
        3: ("columns", "column", selectors.columns_for_table),
        4: ("datapoints", None, selectors.mappings_for_column),
    }[depth]
    arguments = {name: path[part] for name, part in
                 (("namespace_id", "namespace"), ("database", "database"), ("table", "table"), ("column", "column"))
                 if path[part]}
    if child:
        page = lister(dataset_id=key, page=page_number, **arguments)
    else:
        mappings = lister(dataset_id=key, **arguments)
        page = selectors.Page(items=mappings, total=len(mappings))
    if child:
        items = [{**item, "url": _browse_url(dataset, **{**path, child: item["name"]})} for item in page.items]
    else:
        items = page.items
    if depth > 1 and not page.total:
        raise Http404(f"No such {LEVELS[depth - 1]} in this namespace.")
    context.update(level=level, page=page, items=items)
    return render(request, "uploads/browse.html", context)


@require_GET
def datapoint_detail(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = _dataset(dataset_id)
    data_point_id = request.GET.get("id", "")
    datapoint = selectors.datapoint_get(dataset_id=str(dataset.pk), data_point_id=data_point_id)
    if datapoint is None:
        raise Http404("No such data point in this dataset.")
    context = {
        "dataset": dataset,
        "datapoint": datapoint,
        "page": selectors.columns_for_datapoint(
            dataset_id=str(dataset.pk), data_point_id=data_point_id, page=_page(request)),
        "page_query": urlencode({"id": data_point_id}) + "&",
        "anomalies": selectors.anomalies_for_datapoint(dataset_id=str(dataset.pk), line=datapoint.line),
    }
    return render(request, "uploads/datapoint_detail.html", context)


def _chart_rows(counts: list[dict]) -> list[dict]:
    """Geometry of a horizontal bar chart, rendered as SVG by the template (no script needed)."""
    largest = max((row["count"] for row in counts), default=1)
    return [{**row, "y": 22 * index, "width": max(1, round(380 * row["count"] / largest))}
            for index, row in enumerate(counts)]


@require_GET
def anomaly_list(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = _dataset(dataset_id)
    filters = {
        "file": request.GET.get("file", "") if request.GET.get("file", "") in FILES else "",
        "code": request.GET.get("code", "") if request.GET.get("code", "") in set(Code) else "",
        "severity": request.GET.get("severity", "")
        if request.GET.get("severity", "") in {"error", "warning", "info"} else "",
    }
    page = selectors.anomalies_list(dataset_id=str(dataset.pk), page=_page(request), **filters)

    counts = _anomaly_counts(dataset)
    selected = urlencode({name: value for name, value in filters.items() if value})
    context = {
        "page_query": f"{selected}&" if selected else "",
        "dataset": dataset,
        "page": page,
        "filters": filters,
        "files": FILES,
        "codes": [code.value for code in Code],
        "counts": counts,
        "chart": _chart_rows(counts),
        "chart_height": 22 * len(counts),
    }
    return render(request, "uploads/anomaly_list.html", context)


@require_GET
def search(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = _dataset(dataset_id)
    query = request.GET.get("q", "").strip()[:200]
    results = selectors.dataset_search(dataset_id=str(dataset.pk), query=query) if query else None
    context = {
        "dataset": dataset,
        "query": query,
        "results": results,
        "export_url": reverse("uploads:search_export_json", args=[dataset.pk]) + "?" + urlencode({"q": query}),
        "column_urls": [
            (item, _browse_url(dataset, namespace=item["namespace_id"], database=item["database"],
                               table=item["table"], column=item["column"]))
            for item in (results.columns if results else [])
        ],
    }
    return render(request, "uploads/search.html", context)
