"""Pages over a dataset's records: browse, data point, search; and the search across datasets.

They read the version `version_shown` picks (the current one unless a number is asked for), so
a version being processed never shows before it is published.
"""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.nodes import PAGE_SIZE
from catalog.pages import Pages
from catalog.search_facets import FACETS, FacetValue
from uploads.models import Dataset
from uploads.views.access import dataset_for_view, datasets_visible, version_with_records
from uploads.views.anomalies import anomaly_links

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
    requested_page = request.GET.get("page")
    selected = urlencode({part: path[part] for part in LEVELS if path[part]})
    context = {
        "dataset": dataset,
        "version": version,
        "path": path,
        "crumbs": _breadcrumbs(dataset, path),
    }
    if version is None:
        context.update(level="namespaces", page=selectors.no_page(), items=[])
        return render(request, "uploads/browse.html", context)
    key = version.records_key
    if not path["namespace"]:
        page = selectors.namespaces_for_dataset(version=key, page=requested_page)
        items = [{**item, "url": _browse_url(dataset, namespace=item["namespace_id"])} for item in page]
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
        page = Pages(lister(version=key, **arguments), PAGE_SIZE).get_page(requested_page)
    if child:
        items = [{**item, "url": _browse_url(dataset, **{**path, child: item["name"]})} for item in page]
    else:
        items = page.object_list
    if depth > 1 and not page.paginator.count:
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
        "page": selectors.columns_for_datapoint(version=key, data_point_id=data_point_id, page=request.GET.get("page")),
        "anomalies": [
            anomaly_links(dataset, version, {**item, "file": "datapoints"})
            for item in selectors.anomalies_for_datapoint(version=key, line=datapoint["line"])
        ],
    }
    return render(request, "uploads/datapoint_detail.html", context)


def _query(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:200]


def _chosen(request: HttpRequest) -> dict[str, str]:
    """The facet values the search is narrowed to (`?namespace=N1&owner=…`)."""
    return {facet: request.GET[facet][:200] for facet in FACETS if request.GET.get(facet)}


def _facet_links(base: dict[str, str], facets: dict, chosen: dict[str, str]) -> list[dict]:
    """Per facet, its values with the link that narrows to each, and the link that undoes it."""
    titles = {"dataset": "Datasets", "namespace": "Namespaces", "database": "Databases", "owner": "Owners"}
    links = []
    for facet, values in facets.items():
        rest = {name: value for name, value in base.items() if name != facet}
        links.append(
            {
                "facet": facet,
                "title": titles[facet],
                "chosen": chosen.get(facet, ""),
                "clear_url": "?" + urlencode(rest),
                "values": [(value, "?" + urlencode({**rest, facet: value.value})) for value in values],
            }
        )
    return links


@require_GET
def search(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    version = version_with_records(dataset)
    query = _query(request)
    chosen = _chosen(request)
    results = None
    if query and version:
        results = selectors.dataset_search(
            version=version.records_key,
            query=query,
            datapoints_page=request.GET.get("dpage"),
            columns_page=request.GET.get("cpage"),
            chosen=chosen,
        )
    base = {"q": query, **chosen}
    context = {
        "dataset": dataset,
        "version": version,
        "query": query,
        "results": results,
        "facet_links": _facet_links(base, results.facets, chosen) if results else [],
        "narrowed": bool(chosen),
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


@require_GET
def search_all(request: HttpRequest) -> HttpResponse:
    """One search over the current version of every dataset the user may see: how many matches
    each holds, the first of them, and the counts that narrow it to a dataset, namespace,
    database or owner."""
    query = _query(request)
    chosen = _chosen(request)
    datasets = datasets_visible(user=request.user).filter(current_version__isnull=False, deleting=False)
    by_key = {dataset.current_version.records_key: dataset for dataset in datasets}
    picked = request.GET.get("dataset", "")
    found, facets = [], {}
    if query and by_key:
        searched = selectors.catalog_search(versions=list(by_key), query=query, chosen=chosen)
        per_dataset = [(by_key[key], results) for key, results in searched.found]
        counts = [
            FacetValue(
                facet="dataset",
                value=str(dataset.pk),
                label=dataset.name,
                count=results.datapoints.paginator.count + results.columns.paginator.count,
            )
            for dataset, results in per_dataset
        ]
        found = [(dataset, results) for dataset, results in per_dataset if not picked or str(dataset.pk) == picked]
        facets = {"dataset": counts}
        # narrowed to one dataset, the other counts are that dataset's
        facets.update(found[0][1].facets if picked and found else searched.facets)
    base = {"q": query, **({"dataset": picked} if picked else {}), **chosen}
    narrowing = urlencode({"q": query, **chosen})
    context = {
        "query": query,
        "searched": bool(query),
        "found": [
            (dataset, results, reverse("uploads:search", args=[dataset.pk]) + "?" + narrowing)
            for dataset, results in found
        ],
        "facet_links": _facet_links(base, facets, {**chosen, **({"dataset": picked} if picked else {})}),
    }
    return render(request, "uploads/search_all.html", context)
