"""Downloads: the two anomaly reports and the JSON export of a selection."""

import json

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from reports.exports import export_build, export_build_for_search, export_filename
from reports.storage import storage_exists, storage_open
from uploads.views.access import dataset_for_view


def _report_response(key: str, filename: str, content_type: str) -> FileResponse:
    if not storage_exists(key=key):
        raise Http404("This report is not written yet.")
    return FileResponse(storage_open(key=key), as_attachment=True, filename=filename, content_type=content_type)


@require_GET
def anomalies_csv_download(request: HttpRequest, dataset_id) -> FileResponse:
    dataset = dataset_for_view(request, dataset_id)
    return _report_response(dataset.anomalies_csv_key, "anomalies.csv", "text/csv; charset=utf-8")


@require_GET
def summary_json_download(request: HttpRequest, dataset_id) -> FileResponse:
    dataset = dataset_for_view(request, dataset_id)
    return _report_response(dataset.summary_json_key, "summary.json", "application/json")


def _json_attachment(content: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(content, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def export_json_download(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    selection = {part: request.GET.get(part, "").strip() for part in ("database", "table", "column")}
    namespace_id = request.GET.get("namespace", "").strip()
    if not namespace_id:
        return JsonResponse({"error": "Choose a namespace to export (the `namespace` parameter)."}, status=400)
    export = export_build(dataset_id=str(dataset.pk), namespace_id=namespace_id, **selection)
    return _json_attachment(export, export_filename(namespace_id, *selection.values()))


@require_GET
def search_export_json_download(request: HttpRequest, dataset_id) -> HttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse({"error": "Search for something first (the `q` parameter)."}, status=400)
    export = export_build_for_search(dataset_id=str(dataset.pk), query=query)
    return _json_attachment(export, export_filename("search", query))
