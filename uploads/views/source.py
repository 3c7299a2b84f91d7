"""The raw bytes of one source line, as uploaded: the download the line view offers for a line too
long to show. Streamed in blocks read as they are sent, so its size never weighs on the process."""

from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.views.decorators.http import require_GET

from contract import FILES
from reports.source import source_line_raw
from uploads.forms import SourceLineForm
from uploads.models import DatasetVersion
from uploads.views.access import dataset_for_view, version_shown


@require_GET
def source_line_raw_download(request: HttpRequest, dataset_id, number: int, file: str) -> StreamingHttpResponse:
    dataset = dataset_for_view(request, dataset_id)
    version = version_shown(dataset, number)
    form = SourceLineForm(request.GET)
    if file not in FILES or not form.is_valid():
        raise Http404("No such line.")
    index_file = getattr(version, DatasetVersion.line_index_field(file))
    line = form.cleaned_data["line"]
    found = index_file and source_line_raw(index_file=index_file, upload_file=getattr(version, file), line=line)
    if not found:
        raise Http404("No such line.")
    length, blocks = found
    response = StreamingHttpResponse(blocks, content_type="text/plain")
    response["Content-Length"] = str(length)
    response["Content-Disposition"] = f'attachment; filename="{file}-v{version.number}-line-{line}.txt"'
    return response
