"""Hostile inputs (issues 10 and 11) through the real upload form and one real Celery worker.

Every dataset is uploaded first, so the worker processes them back to back; then each must have
finished, with both reports, no 5xx on its pages, no traceback in the worker's log, and no
record in its version's collections when it failed, and line views of a bounded size. The 10 MB
variants of the shapes are timed in bench/hostile.py (with `--pages`, their worst line view).
"""

import codecs
import html
import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.mongo import version_document_counts
from groundtruth.hostile import hostile_shapes
from tests.conftest import SAMPLE_DIR, storage_environment
from uploads.models import Dataset, DatasetVersion
from uploads.services import dataset_delete

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

FILES = ("namespaces", "datapoints", "columns")
PASSWORD = "correct-horse-battery-staple"
SHAPE_SIZE = 20_000
LINE_VIEWS_PER_CASE = 5  # line views opened from each dataset's anomaly list
PAGE_MAX_BYTES = 1_000_000
FINISHED_WITHIN_SECONDS = 900  # generous: every dataset together, on a shared machine
# Refused by the form, with this in the error shown: nothing is stored or queued.
REFUSED = {
    "all empty": ((dict.fromkeys(FILES, b"")), {}, "The submitted file is empty"),
    "a file name of 10,000 characters": (None, {"columns": "c" * 10_000 + ".csv"}, "The file name is too long"),
    "not a CSV name": (None, {"datapoints": "datapoints.exe"}, "is not a CSV file"),
}


def _sample() -> dict[str, bytes]:
    return {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in FILES}


def _every_field(text: str) -> dict[str, bytes]:
    """The sample with every value of every file replaced by `text` (keys kept unique)."""
    files = {}
    for name, data in _sample().items():
        header, *rows = data.decode().splitlines()
        width = header.count(",") + 1
        files[name] = "\n".join(
            [header, *(",".join([f"{row.split(',')[0]}"] + [f'"{text}"'] * (width - 1)) for row in rows)]
        ).encode()
    return files


def _cases() -> dict[str, tuple[dict[str, bytes], dict[str, str]]]:
    """Case -> (the three files' bytes, file names that differ from `<file>.csv`)."""
    sample = _sample()
    cases: dict[str, tuple[dict[str, bytes], dict[str, str]]] = {}
    for shape, data in hostile_shapes(SHAPE_SIZE).items():
        for file in FILES:
            cases[f"{shape} as {file}"] = ({**sample, file: data}, {})
    header_only = {name: data.split(b"\n", 1)[0] + b"\n" for name, data in sample.items()}
    cp1252 = sample["namespaces"].replace(b"Performance", "Performánce".encode("cp1252"))
    cases.update(
        {
            "one byte each": (dict.fromkeys(FILES, b"\n"), {}),
            "only whitespace": ({**sample, "datapoints": b" \t \r\n \n\n"}, {}),
            "headers only": (header_only, {}),
            "NUL bytes": ({**sample, "columns": sample["columns"].replace(b",", b"\x00,", 3)}, {}),
            "invalid UTF-8": ({**sample, "namespaces": cp1252}, {}),
            "lone invalid byte": ({**sample, "datapoints": sample["datapoints"] + b"\xff\n"}, {}),
            "BOM and CRLF": ({name: codecs.BOM_UTF8 + d.replace(b"\n", b"\r\n") for name, d in sample.items()}, {}),
            "formula in every field": (_every_field('=HYPERLINK(""http://evil"")'), {}),
            "HTML in every field": (_every_field("<script>alert(1)</script><img src=x onerror=alert(2)>"), {}),
            "swapped files": ({**sample, "namespaces": sample["columns"], "columns": sample["namespaces"]}, {}),
            "every file the same": (dict.fromkeys(FILES, sample["datapoints"]), {}),
            "path traversal in file names": (sample, {"namespaces": "../../../../etc/passwd.csv"}),
            "NUL in a file name": (sample, {"datapoints": "data\x00points.csv"}),
            "semicolons and tabs": (
                {**sample, "namespaces": sample["namespaces"].replace(b",", b";"), "columns": sample["columns"]},
                {},
            ),
            "quoted line breaks": ({**sample, "namespaces": sample["namespaces"].replace(b"Fund", b'"Fu\nnd"', 1)}, {}),
        }
    )
    return cases


def _login(client) -> None:
    get_user_model().objects.create_user(username="steward", password=PASSWORD)
    assert client.post("/accounts/login/", {"username": "steward", "password": PASSWORD}).status_code == 302


def _post(client, name: str, files: dict[str, bytes], names: dict[str, str]):
    uploads = {
        f"{file}_file": SimpleUploadedFile(names.get(file, f"{file}.csv"), content, "text/csv")
        for file, content in files.items()
    }
    return client.post("/", {"name": name[:200], **uploads})


def _finished(dataset_ids: list[str]) -> dict[str, DatasetVersion]:
    """Version 1 of each dataset, once every one is done or failed."""
    deadline = time.monotonic() + FINISHED_WITHIN_SECONDS
    while time.monotonic() < deadline:
        versions = {
            str(v.dataset_id): v
            for v in DatasetVersion.objects.select_related("dataset").filter(dataset_id__in=dataset_ids, number=1)
        }
        if all(v.status in ("done", "failed") for v in versions.values()):
            return versions
        time.sleep(1)
    waiting = [v.dataset.name for v in versions.values() if v.status not in ("done", "failed")]
    raise AssertionError(f"not finished after {FINISHED_WITHIN_SECONDS}s: {waiting}")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_hostile_inputs_end_in_reports_without_tracebacks(client, start_worker):
    # given a logged-in steward and one real worker
    worker = start_worker(storage_environment("local", None))
    _login(client)
    cases = _cases()
    assert len(cases) >= 60

    # when every case is uploaded through the form
    uploaded: dict[str, str] = {}
    for name, (files, names) in cases.items():
        response = _post(client, name, files, names)
        assert response.status_code == 302, (name, response.status_code, response.content[:500])
        uploaded[response["Location"].rstrip("/").split("/")[-1]] = name

    # and what the form refuses gets a readable error, and no dataset
    for name, (files, names, error) in REFUSED.items():
        response = _post(client, name, files or _sample(), names)
        assert response.status_code == 200, (name, response.status_code)
        assert error in response.content.decode(), name
        assert not Dataset.objects.filter(name=name).exists(), name

    # then every dataset's first version finishes, each with both reports and pages that answer
    versions = _finished(list(uploaded))
    for dataset_id, version in versions.items():
        case = uploaded[dataset_id]
        report = client.get(f"/datasets/{dataset_id}/versions/1/anomalies.csv")
        assert report.status_code == 200, case
        # the download carries a byte-order mark for spreadsheet programs
        assert _body(report).startswith(b"\xef\xbb\xbffile,line,field,code,severity,value,message,fix,status"), case
        summary = json.loads(_body(client.get(f"/datasets/{dataset_id}/versions/1/summary.json")))
        assert summary["status"] == version.status, case
        assert summary["error"] == (version.error or None), case
        for url in ("", "status.json", "anomalies/", "browse/", "versions/1/anomalies/"):
            status = client.get(f"/datasets/{dataset_id}/{url}").status_code
            assert status < 500, (case, url, status)
        # and the line views its anomalies link to answer small pages, whatever the lines hold
        anomalies = client.get(f"/datasets/{dataset_id}/versions/1/anomalies/").content.decode()
        links = dict.fromkeys(re.findall(r'href="(/datasets/[^"]*/lines/\?[^"]*)"', anomalies))
        for link in list(links)[:LINE_VIEWS_PER_CASE]:
            view = client.get(html.unescape(link))
            assert view.status_code < 500, (case, link)
            assert len(view.content) < PAGE_MAX_BYTES, (case, link, len(view.content))
        if version.status == "failed":
            # and a failed version keeps no record in its collections, only its anomalies and their index
            stored = version_document_counts(version=version.records_key)
            assert [stored[kind] for kind in FILES] == [0, 0, 0], (case, stored)
            assert "retry" not in version.error.lower() or "unexpectedly" not in version.error, case

    # and the outcome of a few cases is the one the spec gives
    by_case = {uploaded[i]: v for i, v in versions.items()}
    assert by_case["binary as columns"].status == "failed"
    assert by_case["line-without-break as columns"].status == "failed"
    assert by_case["cr-only-line-ends as columns"].status == "done"
    assert by_case["valid-reference as columns"].status == "done"

    # and the worker logged no traceback
    worker.stop()
    log = worker.log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[log.find("Traceback") - 2000 : log.find("Traceback") + 3000]


@pytest.fixture(autouse=True)
def _documents_removed():
    """The session's FerretDB keeps no collections of these datasets for later tests to wait behind."""
    yield
    for dataset in Dataset.objects.all():
        dataset_delete(dataset=dataset)  # each version's collections dropped, its files deleted
