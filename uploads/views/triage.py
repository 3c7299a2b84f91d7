"""Anomalies grouped (one row per file, code, field and value) and triage: accept a group or one
anomaly, undo it. Groups are read from the version's browse index, one page at a time
(`catalog.read_model.anomaly_groups_frame`); decisions from `uploads.triage`."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from catalog import selectors
from engine import FILES, Severity, anomaly_render
from uploads.anomaly_status import items_status_shown
from uploads.forms import AnomalyAcceptForm, AnomalyFilterForm, AnomalyUndoForm
from uploads.models import AcceptanceScope
from uploads.triage import anomaly_accept, anomaly_accept_undo
from uploads.views.access import dataset_for_change, dataset_for_view, may_change, version_shown
from uploads.views.anomalies import _status_counts, anomaly_groups_url, anomaly_list_url, line_url


def _group_row(dataset, version, list_url: str, item: dict) -> dict:
    rendered = anomaly_render(item)
    return {
        **item,
        "message": rendered.message,
        "fix": rendered.fix,
        "help_url": reverse("uploads:help_anomalies") + f"#{item.get('code', '')}",
        "rows_url": list_url + "?" + urlencode({"group": item["group"], "status": "all"}),
        "line_urls": [
            (line, line_url(dataset, version, item["file"], line, item.get("field", ""), item["code"]))
            for line in item.get("lines") or []
        ],
    }


@require_GET
def anomaly_groups(request: HttpRequest, dataset_id, number: int | None = None) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    form = AnomalyFilterForm(request.GET)
    filters = form.filters()
    if version is not None and version.records_kept:
        page = selectors.anomaly_groups_list(version=version.records_key, page=form.page_number(), **filters)
    else:
        page = selectors.Page()
    list_url = anomaly_list_url(dataset, version, number is not None)
    selected = urlencode({name: value for name, value in filters.items() if value})
    items = items_status_shown(dataset_id=dataset.pk, items=page.items)
    context = {
        "page_query": f"{selected}&" if selected else "",
        "dataset": dataset,
        "version": version,
        "version_asked": number is not None,
        "list_url": list_url,
        "groups_url": anomaly_groups_url(dataset, version, number is not None),
        "page": page,
        "items": [_group_row(dataset, version, list_url, item) for item in items],
        "may_change": may_change(request, dataset),
        "back": request.get_full_path(),
        "filters": filters,
        "filtered": any(filters.values()),
        "notes": form.unknown(),
        "files": FILES,
        "severities": [str(s) for s in Severity],
        "statuses": _status_counts(version, filters),
        "counts": version.anomaly_counts() if version else [],
    }
    return render(request, "uploads/anomaly_groups.html", context)


def _back(request: HttpRequest, dataset) -> HttpResponseRedirect:
    """To the page the form was on (a path of this site only), else the dataset's groups."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=False):
        target = reverse("uploads:anomaly_groups", args=[dataset.pk])
    return HttpResponseRedirect(target)


@require_POST
def anomaly_accept_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_change(request, dataset_id)
    form = AnomalyAcceptForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was accepted: {problems}")
        return _back(request, dataset)
    data = form.cleaned_data
    anomaly_accept(
        dataset=dataset,
        user=request.user,
        scope=data["scope"],
        file=data["file"],
        code=data["code"],
        field=data["field"],
        value=data["value"],
        fingerprint=data["fingerprint"],
        note=data["note"],
        until=data["until"],
    )
    what = "This group" if data["scope"] == AcceptanceScope.GROUP else "This anomaly"
    messages.success(request, f"{what} ({data['code']}) is accepted, in this version and the next ones.")
    return _back(request, dataset)


@require_POST
def anomaly_undo_view(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_change(request, dataset_id)
    form = AnomalyUndoForm(request.POST)
    if form.is_valid() and anomaly_accept_undo(dataset=dataset, fingerprint=form.cleaned_data["fingerprint"]):
        messages.success(request, "Accepting it is undone: it needs attention again.")
    else:
        messages.info(request, "It was not accepted.")
    return _back(request, dataset)
