"""Downloads: the two anomaly reports and the JSON export of a selection."""

import json
from collections.abc import Iterator

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from reports.exports import export_build, export_build_for_search, export_filename
from reports.storage import storage_exists, storage_open
from uploads.models import Dataset
from uploads.views.access import dataset_for_view

UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_SIZE = 1 << 16


def _download_name(dataset: Dataset, report: str) -> str:
    """`<dataset name>-anomalies.csv`: several downloads stay told apart in a downloads folder."""
    return f"{slugify(dataset.name)[:80] or 'dataset'}-{report}"


def _report_file(key: str):
    if not storage_exists(key=key):
        raise Http404("This report is not written yet.")
    return storage_open(key=key)


def _with_bom(handle) -> Iterator[bytes]:
    # Excel reads a CSV as the system's code page unless it starts with a UTF-8 byte-order mark.
    yield UTF8_BOM
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


@require_GET
def anomalies_csv_download(request: HttpRequest, dataset_id) -> StreamingHttpResponse:
    """The stored report (UTF-8, as the spec says) with a byte-order mark in front for spreadsheets."""
    dataset = dataset_for_view(dataset_id)
    response = StreamingHttpResponse(
        _with_bom(_report_file(dataset.anomalies_csv_key)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(True, _download_name(dataset, "anomalies.csv"))
    return response


@require_GET
def summary_json_download(request: HttpRequest, dataset_id) -> FileResponse:
    dataset = dataset_for_view(dataset_id)
    return FileResponse(
        _report_file(dataset.summary_json_key),
        as_attachment=True,
        filename=_download_name(dataset, "summary.json"),
        content_type="application/json",
    )


def _json_attachment(content: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(content, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def export_json_download(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    selection = {part: request.GET.get(part, "").strip() for part in ("database", "table", "column")}
    namespace_id = request.GET.get("namespace", "").strip()
    if not namespace_id:
        return JsonResponse({"error": "Choose a namespace to export (the `namespace` parameter)."}, status=400)
    export = export_build(dataset_id=str(dataset.pk), namespace_id=namespace_id, **selection)
    return _json_attachment(export, export_filename(namespace_id, *selection.values()))


@require_GET
def search_export_json_download(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(dataset_id)
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse({"error": "Search for something first (the `q` parameter)."}, status=400)
    export = export_build_for_search(dataset_id=str(dataset.pk), query=query)
    return _json_attachment(export, export_filename("search", query))
