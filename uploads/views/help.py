"""Help before and after an upload: the anomaly catalogue, the format of each file, templates and a sample."""

from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from contract import CATALOGUE, FILES, SCHEMAS, Vocabularies, vocabulary_allowed
from uploads.workbook_template import workbook_template


def _vocabularies() -> Vocabularies:
    return Vocabularies.from_settings(settings.DATASET_VOCABULARIES)


def file_guides() -> list[dict]:
    """Per file, what it must and may hold: from the engine's schema and the configured vocabularies."""
    vocabularies = _vocabularies()
    guides = []
    for file in FILES:
        schema = SCHEMAS[file]
        guides.append(
            {
                "file": file,
                "key": schema.key,
                "required": [f for f in schema.fields if f in schema.required],
                "optional": [f for f in schema.fields if f not in schema.required],
                "lists": sorted(schema.list_fields),
                "vocabularies": [(f, vocabulary_allowed(f, vocabularies)) for f in sorted(schema.vocabulary_fields)],
                "references": sorted(schema.reference_fields.items()),
            }
        )
    return guides


def upload_limit_mib() -> str:
    return f"{settings.UPLOAD_MAX_BYTES / 1_048_576:.0f} MiB"


@require_GET
def help_anomalies(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "uploads/help_anomalies.html",
        {"entries": CATALOGUE.values(), "guides": file_guides(), "limit": upload_limit_mib()},
    )


@require_GET
def template_download(request: HttpRequest, file: str) -> HttpResponse:
    """A header-only CSV of one file, in the schema's field order."""
    if file not in FILES:
        raise Http404("No such file in a dataset.")
    response = HttpResponse((",".join(SCHEMAS[file].fields) + "\r\n").encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file}.csv"'
    return response


@require_GET
def template_workbook_download(request: HttpRequest) -> HttpResponse:
    """One .xlsx with a sheet per file, each holding its header row: the workbook to start from."""
    response = HttpResponse(
        workbook_template(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = 'attachment; filename="catalog-template.xlsx"'
    return response


# Written by `manage.py generate_sample_dataset --zip uploads/samples/sample-dataset.zip --seed 8`
# (the generator uses pandas, which the web process never imports); tests/views/test_sample_download.py
# holds it equal to what the generator gives.
SAMPLE_ZIP = Path(__file__).resolve().parents[1] / "samples" / "sample-dataset.zip"


@lru_cache(maxsize=1)
def _sample_zip() -> bytes:
    return SAMPLE_ZIP.read_bytes()


@require_GET
def sample_download(request: HttpRequest) -> HttpResponse:
    """A generated sample dataset (20 namespaces, 500 data points, 10,000 column rows, about 1% of
    them with an anomaly) to try the app with."""
    response = HttpResponse(_sample_zip(), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="sample-dataset.zip"'
    return response
