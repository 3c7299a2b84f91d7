"""Pages over a dataset's records: browse, data point, anomalies, search.

They read the version `version_shown` picks (the current one unless a number is asked for), so
a version being processed never shows before it is published.
"""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import selectors
from engine import FILES, Code
from uploads.models import Dataset
from uploads.views.access import dataset_for_view, page_number, version_shown, version_with_records

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
    dataset = dataset_for_view(request, dataset_id)
    version = version_with_records(dataset)
    path = {part: request.GET.get(part, "").strip() for part in LEVELS}
    # A deeper part without its parent is meaningless: cut the path at the first gap.
    for depth, part in enumerate(LEVELS):
        if not path[part]:
            path.update(dict.fromkeys(LEVELS[depth:], ""))
            break
    requested_page = page_number(request)
    selected = urlencode({part: path[part] for part in LEVELS if path[part]})
    context = {
        "dataset": dataset,
        "version": version,
        "path": path,
        "crumbs": _breadcrumbs(dataset, path),
        "page_query": f"{selected}&" if selected else "",
    }
    if version is None:
        context.update(level="namespaces", page=selectors.Page(), items=[])
        return render(request, "uploads/browse.html", context)
    key = version.records_key
    if not path["namespace"]:
        page = selectors.namespaces_for_dataset(version=key, page=requested_page)
        items = [{**item, "url": _browse_url(dataset, namespace=item["namespace_id"])} for item in page.items]
        context.update(level="namespaces", page=page, items=items)
        return render(request, "uploads/browse.html", context)
    namespace = selectors.namespace_get(version=key, namespace_id=path["namespace"])
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
    arguments = {
        name: path[part]
        for name, part in (
            ("namespace_id", "namespace"),
            ("database", "database"),
            ("table", "table"),
            ("column", "column"),
        )
        if path[part]
    }
    if child:
        page = lister(version=key, page=requested_page, **arguments)
    else:
        mappings = lister(version=key, **arguments)
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
    dataset = dataset_for_view(request, dataset_id)
    version = version_with_records(dataset)
    data_point_id = request.GET.get("id", "")
    key = version.records_key if version else None
    datapoint = selectors.datapoint_get(version=key, data_point_id=data_point_id) if key else None
    if datapoint is None:
        raise Http404("No such data point in this dataset.")
    context = {
        "dataset": dataset,
        "version": version,
        "datapoint": datapoint,
        "page": selectors.columns_for_datapoint(version=key, data_point_id=data_point_id, page=page_number(request)),
        "page_query": urlencode({"id": data_point_id}) + "&",
        "anomalies": selectors.anomalies_for_datapoint(version=key, line=datapoint.line),
    }
    return render(request, "uploads/datapoint_detail.html", context)


def _chart_rows(counts: list[dict]) -> list[dict]:
    """Geometry of a horizontal bar chart, rendered as SVG by the template (no script needed)."""
    largest = max((row["count"] for row in counts), default=1)
    return [
        {**row, "y": 22 * index, "width": max(1, round(380 * row["count"] / largest))}
        for index, row in enumerate(counts)
    ]


@require_GET
def anomaly_list(request: HttpRequest, dataset_id, number: int | None = None) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    filters = {
        "file": request.GET.get("file", "") if request.GET.get("file", "") in FILES else "",
        "code": request.GET.get("code", "") if request.GET.get("code", "") in set(Code) else "",
        "severity": request.GET.get("severity", "")
        if request.GET.get("severity", "") in {"error", "warning", "info"}
        else "",
    }
    if version is not None and version.records_kept:
        page = selectors.anomalies_list(version=version.records_key, page=page_number(request), **filters)
    else:
        page = selectors.Page()
    counts = version.anomaly_counts() if version else []
    selected = urlencode({name: value for name, value in filters.items() if value})
    context = {
        "page_query": f"{selected}&" if selected else "",
        "dataset": dataset,
        "version": version,
        "version_asked": number is not None,
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
    dataset = dataset_for_view(request, dataset_id)
    version = version_with_records(dataset)
    query = request.GET.get("q", "").strip()[:200]
    results = selectors.dataset_search(version=version.records_key, query=query) if query and version else None
    context = {
        "dataset": dataset,
        "version": version,
        "query": query,
        "results": results,
        "export_url": reverse("uploads:search_export_json", args=[dataset.pk]) + "?" + urlencode({"q": query}),
        "column_urls": [
            (
                item,
                _browse_url(
                    dataset,
                    namespace=item["namespace_id"],
                    database=item["database"],
                    table=item["table"],
                    column=item["column"],
                ),
            )
            for item in (results.columns if results else [])
        ],
    }
    return render(request, "uploads/search.html", context)
