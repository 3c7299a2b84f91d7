"""Anomalies grouped (one row per file, code, field and value), their fixes applied on request, and
triage: accept a group or one anomaly, undo it. Groups are read from the version's browse index, one page at a time
(`catalog.read_model.anomaly_groups_frame`); decisions from `uploads.triage`."""

import io
import zipfile
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import selectors
from contract import anomaly_render
from uploads.fixes import fixes_files, group_fixable, version_from_fixes, version_is_latest
from uploads.forms import AnomalyAcceptForm, AnomalyFilterForm, AnomalyUndoForm, FixesForm
from uploads.models import AcceptanceScope
from uploads.services import DatasetBusy
from uploads.triage import AnomalyChosen, anomaly_accept, anomaly_accept_undo
from uploads.views.access import dataset_for_change, dataset_for_view, version_shown
from uploads.views.anomalies import _status_counts, anomaly_page_context, line_url, status_asked


def _group_row(dataset, version, list_url: str, item: dict) -> dict:
    rendered = anomaly_render(item)
    return {
        **item,
        "message": rendered.message,
        "fix": rendered.fix,
        "help_url": reverse("uploads:help_anomalies") + f"#{item.get('code', '')}",
        "fixable": group_fixable(item),
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
    statuses = _status_counts(version, filters)
    if version is not None and version.records_kept:
        page = selectors.anomaly_groups_list(
            version=version.records_key,
            page=request.GET.get("page"),
            statuses=version.status_pages,
            **status_asked(filters, statuses),
        )
    else:
        page = selectors.no_page()
    context = anomaly_page_context(request, dataset, version, number, form=form, page=page, statuses=statuses)
    list_url = context["list_url"]
    context.update(
        items=[_group_row(dataset, version, list_url, item) for item in context["items"]],
        fixes_url=reverse("uploads:version_fixes", args=[dataset.pk, version.number]) if version else "",
        fixes_download_url=reverse("uploads:version_fixes_download", args=[dataset.pk, version.number])
        if version
        else "",
        may_make_version=version is not None and version_is_latest(version=version),
    )
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
        chosen=AnomalyChosen(
            file=data["file"],
            code=data["code"],
            field=data["field"],
            value=data["value"],
            fingerprint=data["fingerprint"],
        ),
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


def corrected_response(dataset, version, corrected: dict[str, bytes]) -> HttpResponse:
    """The corrected files as a download: one CSV, or a ZIP of several (the API sends the same)."""
    stem = f"{slugify(dataset.name)[:80] or 'dataset'}-v{version.number}-fixed"
    if len(corrected) == 1:
        ((file, content),) = corrected.items()
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(True, f"{stem}-{file}.csv")
        return response
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        for file, content in corrected.items():
            bundle.writestr(f"{file}.csv", content)
    response = HttpResponse(archive.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = content_disposition_header(True, f"{stem}.zip")
    return response


def _groups_asked(request: HttpRequest) -> list[str]:
    form = FixesForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()
    return form.cleaned_data.get("group") or []


@require_http_methods(["GET", "POST"])
def fixes_download(request: HttpRequest, dataset_id, number: int) -> HttpResponse:
    """The picked groups' corrected files (a CSV, or a ZIP of several), for any reader: GET with the
    groups in the query, or POST from the groups page's form (its token stays out of the URL). The
    uploaded files are left as they were."""
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    groups = _groups_asked(request)
    corrected = fixes_files(version=version, groups=groups) if version.records_kept and groups else {}
    if not corrected:
        messages.error(request, "Pick at least one group whose fix can be applied.")
        return _back(request, dataset)
    return corrected_response(dataset, version, corrected)


@require_POST
def fixes_view(request: HttpRequest, dataset_id, number: int) -> HttpResponse:
    """A new version made at once from the picked groups' fixes (owner or staff), from the latest
    version only; the other files are carried over."""
    dataset = dataset_for_change(request, dataset_id)
    version = version_shown(dataset, number)
    groups = _groups_asked(request)
    try:
        created = version_from_fixes(version=version, created_by=request.user, groups=groups) if groups else None
    except DatasetBusy as exc:
        messages.error(request, str(exc))
        return _back(request, dataset)
    if created is None:
        messages.error(request, "Pick at least one group whose fix can be applied.")
        return _back(request, dataset)
    messages.success(request, f"Version {created.number} was made from the fixes and is queued for processing.")
    return redirect("uploads:dataset_detail", dataset_id=dataset.pk)
