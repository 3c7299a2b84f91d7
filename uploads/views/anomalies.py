"""Pages from an anomaly to its fix: the anomaly list, the source lines of an upload, the record.

The anomaly list and the line view read one version (the one `version_shown` picks, or the one
asked for by number); the line view reads that version's own upload and line index. Records are
browsed in the current version only, so only its anomalies link to their records.
"""

from functools import partial
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from catalog import selectors
from catalog.nodes import STATUS_OPEN
from contract import FILES, AnomalyStatus, Code, Severity, anomaly_render
from reports.source import source_view
from reports.workbook_source import workbook_row_view
from uploads.anomaly_status import items_status_shown
from uploads.forms import AnomalyFilterForm, SourceLineForm
from uploads.models import Dataset, DatasetVersion, VersionStatus
from uploads.views.access import dataset_for_view, may_change, version_shown

# Anomalies whose record is not saved: rejected by an error, dropped as a copy, or a blank line
# (whose "key" is its whitespace).
_NOT_SAVED = {Code.DUPLICATE_ROW, Code.BLANK_ROW}


def _is_current(dataset: Dataset, version: DatasetVersion | None) -> bool:
    return version is not None and version.pk == dataset.current_version_id


def line_url(dataset: Dataset, version: DatasetVersion | None, file: str, line, field: str = "", code: str = "") -> str:
    """The line view of the current version's upload, or of a version's own when it is not current."""
    query = {"line": line, **({"field": field} if field else {}), **({"code": code} if code else {})}
    if version is None or _is_current(dataset, version):
        url = reverse("uploads:source_lines", args=[dataset.pk, file])
    else:
        url = reverse("uploads:version_source_lines", args=[dataset.pk, version.number, file])
    return url + "?" + urlencode(query)


def anomaly_list_url(dataset: Dataset, version: DatasetVersion | None, version_asked: bool) -> str:
    if version_asked and version is not None:
        return reverse("uploads:version_anomaly_list", args=[dataset.pk, version.number])
    return reverse("uploads:anomaly_list", args=[dataset.pk])


def anomaly_groups_url(dataset: Dataset, version: DatasetVersion | None, version_asked: bool) -> str:
    if version_asked and version is not None:
        return reverse("uploads:version_anomaly_groups", args=[dataset.pk, version.number])
    return reverse("uploads:anomaly_groups", args=[dataset.pk])


def record_url(dataset: Dataset, file: str, key: str, line=None) -> str:
    query = {"key": key, **({"line": line} if line is not None else {})}
    return reverse("uploads:record", args=[dataset.pk, file]) + "?" + urlencode(query)


def _search_url(dataset: Dataset, query: str) -> str:
    return reverse("uploads:search", args=[dataset.pk]) + "?" + urlencode({"q": query})


def anomaly_links(dataset: Dataset, version: DatasetVersion | None, item: dict) -> dict:
    """One anomaly of `version` as a page shows it: its message and fix rendered from its values,
    and links to its source line, its record, and what its values point to (an earlier line, a
    rejected record, the records holding a near-duplicate and its frequent form)."""
    code, file, line = item.get("code", ""), item.get("file", ""), item.get("line")
    rendered = anomaly_render(item)
    # documents stored before anomalies kept their values have none: no link beyond line and record
    params = item.get("params") if isinstance(item.get("params"), dict) else {}
    earlier = params.get("line") if isinstance(params.get("line"), int) else None
    links: list[tuple[str, str]] = []
    # Search and browse read the current version: a search or record link of another version's
    # anomaly would land on other records.
    current = _is_current(dataset, version)
    if code in (Code.DUPLICATE_ROW, Code.DUPLICATE_KEY) and earlier:
        links.append((f"line {earlier}", line_url(dataset, version, file, earlier)))
    if code == Code.UNKNOWN_REFERENCE and params.get("target") in FILES and earlier:
        links.append((f"{params['target']} line {earlier}", line_url(dataset, version, params["target"], earlier)))
    if code == Code.NEAR_DUPLICATE and params.get("frequent") and current:
        value = str(item.get("value") or "").strip()
        links.append((f"records with “{value}”", _search_url(dataset, value)))
        links.append((f"records with “{params['frequent']}”", _search_url(dataset, params["frequent"])))
    if line is None and code == Code.FILE_ENCODING and earlier:  # its first undecodable line
        line = earlier
    saved = (
        current
        and version.status == VersionStatus.DONE
        and item.get("key")
        and item.get("severity") != Severity.ERROR
        and code not in _NOT_SAVED
    )
    return {
        **item,
        "message": rendered.message,
        "fix": rendered.fix,
        "help_url": reverse("uploads:help_anomalies") + f"#{code}",
        "line_url": line_url(dataset, version, file, line, item.get("field", ""), code) if line is not None else "",
        "record_url": record_url(dataset, file, item["key"], line) if saved else "",
        "links": links,
    }


def _chart_rows(base: str, counts: list[dict], filters: dict) -> list[dict]:
    """A horizontal bar per code (HTML, so it reads on a phone too); each bar filters the list."""
    largest = max((row["count"] for row in counts), default=1)
    return [
        {
            **row,
            "percent": max(1, round(100 * row["count"] / largest)),
            "url": base + "?" + urlencode({**{k: v for k, v in filters.items() if v}, "code": row["code"]}),
        }
        for row in counts
    ]


def _status_counts(version: DatasetVersion | None, filters: dict) -> list[tuple[str, int]]:
    """Each status with its anomalies under the other filters (one page read each), as the version
    was processed; none for a version stored before anomalies had a status."""
    if version is None or not version.records_kept:
        return []
    others = {name: value for name, value in filters.items() if name != "status"}
    read = partial(selectors.anomalies_list, version=version.records_key, statuses=version.status_pages, **others)
    counts = [(str(status), read(status=status).paginator.count) for status in AnomalyStatus]
    if not any(count for _, count in counts):
        return []
    return counts


def statuses_pending(dataset, version: DatasetVersion | None) -> bool:
    """A decision is not in the current version's counts yet: its pages are being rebuilt (seconds)."""
    return (
        version is not None
        and version.pk == dataset.current_version_id
        and version.statuses_revision < dataset.triage_revision
    )


def status_asked(filters: dict, statuses: list[tuple[str, int]]) -> dict:
    """The filters with the status a page reads: none asked means "needs attention", which is all
    of them when none under the other filters is accepted (the counts say so: no read to find out)."""
    if filters["status"]:
        return filters
    accepted = dict(statuses).get(str(AnomalyStatus.ACCEPTED), 0)
    return {**filters, "status": STATUS_OPEN if accepted else "all"}


@require_GET
def anomaly_list(request: HttpRequest, dataset_id, number: int | None = None) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    form = AnomalyFilterForm(request.GET)
    filters = form.filters()
    group = form.group_asked()
    statuses = _status_counts(version, filters)
    if version is not None and version.records_kept and group:
        page = selectors.anomaly_group_rows(
            version=version.records_key, group=group, page=request.GET.get("page"), statuses=version.status_pages
        )
    elif version is not None and version.records_kept:
        page = selectors.anomalies_needing_attention(
            version=version.records_key,
            page=request.GET.get("page"),
            statuses=version.status_pages,
            **status_asked(filters, statuses),
        )
    else:
        page = selectors.no_page()
    context = anomaly_page_context(request, dataset, version, number, form=form, page=page, statuses=statuses)
    list_url, counts = context["list_url"], context["counts"]
    context.update(
        items=[anomaly_links(dataset, version, item) for item in context["items"]],
        group=group,
        filtered=any(filters.values()) or bool(group),
        chart=_chart_rows(list_url, counts, filters),
    )
    return render(request, "uploads/anomaly_list.html", context)


def anomaly_page_context(request, dataset, version, number, *, form, page, statuses) -> dict:
    """What the anomaly list and the groups page share: the version, its links, the page of items
    (with today's triage decisions shown), the filters and the counts."""
    filters = form.filters()
    return {
        "dataset": dataset,
        "version": version,
        "version_asked": number is not None,
        "list_url": anomaly_list_url(dataset, version, number is not None),
        "groups_url": anomaly_groups_url(dataset, version, number is not None),
        "page": page,
        "items": items_status_shown(dataset_id=dataset.pk, items=page.object_list),
        "may_change": may_change(request, dataset),
        "back": request.get_full_path(),
        "filters": filters,
        "filtered": any(filters.values()),
        "notes": form.unknown(),
        "files": FILES,
        "severities": [str(s) for s in Severity],
        "statuses": statuses,
        "statuses_pending": statuses_pending(dataset, version),
        "counts": version.anomaly_counts() if version else [],
    }


@require_GET
def source_lines(request: HttpRequest, dataset_id, file: str, number: int | None = None) -> HttpResponse:
    """The physical lines around one line of a version's upload, the anomaly's cell marked."""
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    if file not in FILES or version is None:
        raise Http404("No such file in a dataset.")
    form = SourceLineForm(request.GET)
    if not form.is_valid():
        raise Http404("Give a line number (the `line` parameter).")
    line, field_name, code = form.cleaned_data["line"], form.cleaned_data["field"], form.cleaned_data["code"]
    context = {
        "dataset": dataset,
        "version": version,
        "list_url": anomaly_list_url(dataset, version, number is not None),
        "file": file,
        "line": line,
        "field": field_name,
        "code": code,
    }
    sheet = (version.sources or {}).get(file, {}).get("sheet")  # a workbook's: rows, not text lines
    index_file = getattr(version, DatasetVersion.line_index_field(file))
    if not index_file and not sheet:
        context["missing_index"] = True
        return render(request, "uploads/source_lines.html", context)
    if sheet:
        view = workbook_row_view(
            upload_file=getattr(version, file), sheet=sheet, line=line, field_name=field_name, code=code
        )
    else:
        view = source_view(
            index_file=index_file, upload_file=getattr(version, file), line=line, field_name=field_name, code=code
        )
    context.update(
        view=view,
        help_url=reverse("uploads:help_anomalies") + f"#{code}" if code else "",
        previous_url=line_url(dataset, version, file, view.previous_line) if view.previous_line else "",
        next_url=line_url(dataset, version, file, view.next_line) if view.next_line else "",
        raw_url=reverse("uploads:version_source_line_raw", args=[dataset.pk, version.number, file])
        + "?"
        + urlencode({"line": line}),
    )
    return render(request, "uploads/source_lines.html", context)


@require_GET
def record(request: HttpRequest, dataset_id, file: str) -> HttpResponse:
    """The page of a persisted record, found by its key; its source line when it was not saved
    (a later error rejected it)."""
    dataset = dataset_for_view(request, dataset_id)
    key = request.GET.get("key", "")
    if file not in FILES or not key:
        raise Http404("No such record.")
    version = dataset.current_version
    found = selectors.record_get(version=version.records_key, file=file, key=key) if version else None
    if found is None:
        line = request.GET.get("line", "")
        if not line.isdigit():
            raise Http404("This record was not saved.")
        messages.info(request, f"The record {key} was not saved: another anomaly rejected it. Here is its line.")
        return redirect(line_url(dataset, version, file, int(line)))
    if file == "namespaces":
        return redirect(reverse("uploads:browse", args=[dataset.pk]) + "?" + urlencode({"namespace": key}))
    if file == "datapoints":
        return redirect(reverse("uploads:datapoint_detail", args=[dataset.pk]) + "?" + urlencode({"id": key}))
    path = {
        "namespace": found["namespace_id"],
        "database": found["dataset_database_name"],
        "table": found["dataset_table_name"],
        "column": found["dataset_column_name"],
    }
    messages.info(request, f"Column row {key} (columns line {found['line']}) is listed below.")
    return redirect(reverse("uploads:browse", args=[dataset.pk]) + "?" + urlencode(path))
