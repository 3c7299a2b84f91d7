"""Downloads: a version's reports (anomalies, summary, what changed), its rejected rows and the JSON
export of a selection."""

import json
from collections.abc import Iterator

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from reports.exports import export_build, export_build_for_search, export_filename
from uploads.fixes import RejectedRowsUnavailable, version_rejected_rows
from uploads.models import VERSION_FILES, Dataset
from uploads.views.access import dataset_for_view, version_shown

# Reports served with a UTF-8 byte-order mark in front (see `_with_bom`).
WITH_BOM = ("anomalies_csv", "diff_csv")

UTF8_BOM = b"\xef\xbb\xbf"
CHUNK_SIZE = 1 << 16


def download_name(dataset: Dataset, report: str) -> str:
    """`<dataset name>-anomalies.csv`: several downloads stay told apart in a downloads folder."""
    return f"{slugify(dataset.name)[:80] or 'dataset'}-{report}"


def _with_bom(handle) -> Iterator[bytes]:
    # Excel reads a CSV as the system's code page unless it starts with a UTF-8 byte-order mark.
    yield UTF8_BOM
    with handle:
        while chunk := handle.read(CHUNK_SIZE):
            yield chunk


@require_GET
def report_download(request: HttpRequest, dataset_id, report: str, number: int | None = None) -> HttpResponse:
    """One of the version's report files (the shown version unless a number is asked for), named
    after the dataset; the CSV reports (stored as the spec says) get a byte-order mark for spreadsheets."""
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    field = getattr(version, report) if version is not None else None
    if not field:
        raise Http404("This report is not written yet.")
    filename, content_type = VERSION_FILES[report].name, VERSION_FILES[report].content_type
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404("This report is not written yet.") from exc
    name = download_name(dataset, (f"v{version.number}-" if number is not None else "") + filename)
    if report in WITH_BOM:
        response = StreamingHttpResponse(_with_bom(handle), content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    return FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)


def _json_attachment(content: dict, filename: str) -> HttpResponse:
    response = HttpResponse(json.dumps(content, indent=2, ensure_ascii=False), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _records_key(request: HttpRequest, dataset_id) -> str:
    version = version_shown(dataset_for_view(request, dataset_id))
    if version is None or not version.records_kept:
        raise Http404("No version of this dataset is published yet.")
    return version.records_key


@require_GET
def export_json_download(request: HttpRequest, dataset_id) -> HttpResponse:
    selection = {part: request.GET.get(part, "").strip() for part in ("database", "table", "column")}
    namespace_id = request.GET.get("namespace", "").strip()
    if not namespace_id:
        return JsonResponse({"error": "Choose a namespace to export (the `namespace` parameter)."}, status=400)
    key = _records_key(request, dataset_id)
    export = export_build(version=key, namespace_id=namespace_id, **selection)
    return _json_attachment(export, export_filename(namespace_id, *selection.values()))


@require_GET
def search_export_json_download(request: HttpRequest, dataset_id) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    if not query:
        return JsonResponse({"error": "Search for something first (the `q` parameter)."}, status=400)
    key = _records_key(request, dataset_id)
    export = export_build_for_search(version=key, query=query)
    return _json_attachment(export, export_filename("search", query))


@require_GET
def rejected_download(request: HttpRequest, dataset_id, file: str, number: int | None = None) -> HttpResponse:
    """The records of one file an error rejected, as uploaded, with their source line
    (`reports.rejected`), streamed with a byte-order mark for spreadsheets."""
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    try:
        rows = version_rejected_rows(version=version, file=file)
    except RejectedRowsUnavailable as exc:
        raise Http404(str(exc)) from exc
    response = StreamingHttpResponse(bom_first(rows), content_type="text/csv; charset=utf-8")
    name = download_name(dataset, (f"v{version.number}-" if number is not None else "") + f"rejected-{file}.csv")
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response


def bom_first(chunks) -> Iterator[bytes]:
    """A byte-order mark, then the chunks: the CSV opens in UTF-8 in a spreadsheet (the API streams the same)."""
    yield UTF8_BOM
    yield from chunks
