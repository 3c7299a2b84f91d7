"""The whole path on real services: upload → Celery worker → FerretDB → reports in storage → browse."""

import csv
import io
import json
import re
import time

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.mongo import version_document_counts
from tests.conftest import SAMPLE_DIR, storage_environment
from uploads.models import DatasetVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

PASSWORD = "correct-horse-battery-staple"


def _html(client, url: str, params: dict | None = None) -> str:
    """A page's text without its CSRF tokens, whose random letters could match a short id."""
    content = client.get(url, params or {}).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)


def _login(client) -> None:
    get_user_model().objects.create_user(username="steward", password=PASSWORD)
    response = client.post("/accounts/login/", {"username": "steward", "password": PASSWORD})
    assert response.status_code == 302


def _upload(client, files: dict[str, bytes], name: str = "Sample") -> str:
    response = client.post(
        "/",
        {
            "name": name,
            **{
                f"{file}_file": SimpleUploadedFile(f"{file}.csv", content, "text/csv")
                for file, content in files.items()
            },
        },
    )
    assert response.status_code == 302, response.content[:2000]
    return response["Location"].rstrip("/").split("/")[-1]


def _wait_finished(client, dataset_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    seen_stages = set()
    while time.monotonic() < deadline:
        status = client.get(f"/datasets/{dataset_id}/status.json").json()
        seen_stages.add(status["stage"])
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.2)
    raise AssertionError(f"dataset not finished after {timeout}s; last status {status}")


def _expected_sample() -> set[tuple]:
    with (SAMPLE_DIR / "expected_anomalies.csv").open() as handle:
        return {(r["file"], r["line"], r["field"], r["code"]) for r in csv.DictReader(handle)}


def _sample_files() -> dict[str, bytes]:
    return {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints", "columns")}


@pytest.mark.parametrize("storage", ["local", "s3"])
def test_sample_goes_through_a_worker_to_reports_and_browse_pages(
    client, storage, s3_server, use_storage, start_worker
):
    # given a logged-in steward, a real worker and the chosen storage
    use_storage(storage, s3_server)
    start_worker(storage_environment(storage, s3_server))
    _login(client)

    # when the spec's sample is uploaded through the form
    dataset_id = _upload(client, _sample_files())
    status = _wait_finished(client, dataset_id)

    # then the worker processed it
    assert status["status"] == "done", status
    assert status["percent"] == 100
    assert status["error"] is None
    assert status["counts"]["namespaces"]["rows_persisted"] == 3
    assert status["counts"]["datapoints"]["rows_persisted"] == 5
    assert status["counts"]["columns"]["rows_persisted"] == 7

    # and both reports are in storage, exactly as the spec says
    report = client.get(f"/datasets/{dataset_id}/anomalies.csv")
    assert report.status_code == 200
    content = b"".join(report.streaming_content)
    assert content.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so that Excel reads it as UTF-8
    assert report["Content-Disposition"] == 'attachment; filename="sample-anomalies.csv"'
    text = content.decode("utf-8-sig")
    assert text.splitlines()[0] == "file,line,field,code,severity,value,message,fix,status"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {(r["file"], r["line"], r["field"], r["code"]) for r in rows} == _expected_sample()
    summary = json.loads(b"".join(client.get(f"/datasets/{dataset_id}/summary.json").streaming_content))
    assert summary["dataset_id"] == dataset_id
    assert summary["status"] == "done"
    assert summary["error"] is None
    assert summary["anomalies_total"] == len(rows) == 10
    for part in summary["files"].values():
        assert part["rows_read"] >= part["rows_persisted"] + part["rows_rejected"]
    if storage == "s3":
        s3 = boto3.client("s3", endpoint_url=s3_server["endpoint"], region_name="us-east-1")
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket=s3_server["bucket"])["Contents"]}
        prefix = f"datasets/{dataset_id}/versions/{DatasetVersion.objects.get(dataset_id=dataset_id).pk}"
        assert {f"{prefix}/reports/anomalies.csv", f"{prefix}/reports/summary.json"} <= keys
        assert f"{prefix}/uploads/columns.csv" in keys

    # and the records can be browsed namespace → database → table → column → data points
    base = f"/datasets/{dataset_id}/browse/"
    page = _html(client, base)
    assert "N1" in page
    assert "N4" not in page
    page = _html(client, base, {"namespace": "N1"})
    assert "fund_master" in page
    assert "esg_store" not in page
    page = _html(client, base, {"namespace": "N1", "database": "fund_master"})
    assert "returns" in page
    assert "prices" in page
    assert "holdings" not in page
    page = _html(client, base, {"namespace": "N1", "database": "fund_master", "table": "returns"})
    assert "tr_1y" in page
    assert "tr_3y" in page
    assert "tr_5y" not in page
    page = _html(client, base, {"namespace": "N1", "database": "fund_master", "table": "returns", "column": "tr_1y"})
    assert "DP1" in page

    # and back from a data point to every column that uses it
    page = _html(client, f"/datasets/{dataset_id}/datapoint/", {"id": "DP3"})
    assert "intensity" in page
    assert "intensity_wavg" in page
    assert "scope3" not in page

    # and the export has the spec's structure
    response = client.get(f"/datasets/{dataset_id}/export.json", {"namespace": "N1", "database": "fund_master"})
    assert response["Content-Disposition"] == 'attachment; filename="export_N1_fund_master.json"'
    export = json.loads(response.content)
    assert list(export) == ["Equity_Research_namespaces"]
    namespace = export["Equity_Research_namespaces"]["N1"]
    assert namespace["namespace_option_name"] == "Fund Performance"
    [databases] = namespace["databases"]
    assert [list(item) for item in databases["fund_master"]] == [["DP1"], ["DP2"]]
    dp1 = databases["fund_master"][0]["DP1"]
    assert dp1["approved_abbreviations"] == ["TR1Y", "TR"]
    assert dp1["is_derived"] is True
    assert dp1["data_type"] == "percentage"
    assert dp1["applicable_domicile"] == ["US", "GB"]

    # and search finds data points and columns, and exports what it found
    page = _html(client, f"/datasets/{dataset_id}/search/", {"q": "carbon intensity"})
    assert "DP3" in page
    assert "DP1" not in page
    page = _html(client, f"/datasets/{dataset_id}/search/", {"q": "TR_1Y"})
    assert "tr_1y" in page
    assert "tr_3y" not in page
    export = json.loads(client.get(f"/datasets/{dataset_id}/search/export.json", {"q": "carbon"}).content)
    assert list(export["Sustainability_Office_namespaces"]["N3"]["databases"][0]["esg_store"][0]) == ["DP3"]

    # and the anomalies can be filtered
    page = _html(client, f"/datasets/{dataset_id}/anomalies/", {"code": "unknown-reference"})
    assert page.count("<code>unknown-reference</code>") == 2
    assert "duplicate-row</code></td>" not in page


def test_a_file_level_error_fails_the_dataset_with_a_message_and_reports(client, use_storage, start_worker):
    use_storage("local")
    start_worker(storage_environment("local", None))
    _login(client)
    files = _sample_files()
    files["columns"] = b"column_id,namespace_id\nC1,N1\n"

    dataset_id = _upload(client, files, name="Broken")
    status = _wait_finished(client, dataset_id)

    assert status["status"] == "failed"
    assert "columns" in status["error"]
    assert "dataset_database_name" in status["error"]
    text = b"".join(client.get(f"/datasets/{dataset_id}/anomalies.csv").streaming_content).decode("utf-8-sig")
    assert "header-missing-column" in text
    page = _html(client, f"/datasets/{dataset_id}/")
    assert status["error"].split(":")[0] in page
    assert "N1" not in _html(client, f"/datasets/{dataset_id}/browse/")

    # and deleting it (after confirmation) is done by the worker
    assert b"cannot be undone" in client.get(f"/datasets/{dataset_id}/delete/").content
    assert client.post(f"/datasets/{dataset_id}/delete/").status_code == 302
    deadline = time.monotonic() + 30
    while client.get(f"/datasets/{dataset_id}/status.json").status_code != 404:
        assert time.monotonic() < deadline, "the dataset was not deleted"
        time.sleep(0.2)


def _upload_version(client, dataset_id: str, files: dict[str, bytes]) -> None:
    uploads = {
        f"{file}_file": SimpleUploadedFile(f"{file}.csv", content, "text/csv") for file, content in files.items()
    }
    response = client.post(f"/datasets/{dataset_id}/versions/", uploads)
    assert response.status_code == 302, response.content[:2000]


def test_a_published_version_replaces_the_records_and_retention_drops_the_older_ones(client, use_storage, start_worker):
    # given a worker that keeps the records of one version only
    use_storage("local")
    start_worker({**storage_environment("local", None), "VERSIONS_KEEP_RECORDS": "1"})
    _login(client)
    dataset_id = _upload(client, _sample_files())
    assert _wait_finished(client, dataset_id)["status"] == "done"
    v1 = DatasetVersion.objects.get(dataset_id=dataset_id, number=1)
    assert version_document_counts(version=v1.records_key)["columns"] == 7

    # when version 2 replaces only the columns file (one mapping renamed, one removed)
    columns = _sample_files()["columns"].replace(b"tr_1y", b"tr_one_year")
    columns = b"\n".join(line for line in columns.split(b"\n") if not line.startswith(b"C2,"))
    _upload_version(client, dataset_id, {"columns": columns})
    status = _wait_finished(client, dataset_id)

    # then it is published, and version 1's collections are gone while its reports stay
    assert status["status"] == "done"
    assert status["version"] == 2
    assert status["current_version"] == 2
    v1.refresh_from_db()
    assert not v1.records_kept
    assert not any(version_document_counts(version=v1.records_key).values())
    assert client.get(f"/datasets/{dataset_id}/versions/1/summary.json").status_code == 200

    # and every collection of the current version holds what its summary counts
    v2 = DatasetVersion.objects.get(dataset_id=dataset_id, number=2)
    summary = json.loads(b"".join(client.get(f"/datasets/{dataset_id}/summary.json").streaming_content))
    counts = version_document_counts(version=v2.records_key)
    assert {file: part["rows_persisted"] for file, part in summary["files"].items()} == {
        file: counts[file] for file in summary["files"]
    }
    assert counts["anomalies"] == summary["anomalies_total"]
    assert counts["browse_nodes"] > 0
    assert counts["columns"] == 6

    # and the pages show version 2, with what changed
    page = _html(
        client, f"/datasets/{dataset_id}/browse/", {"namespace": "N1", "database": "fund_master", "table": "returns"}
    )
    assert "tr_one_year" in page
    assert "tr_1y" not in page
    changes = _html(client, f"/datasets/{dataset_id}/versions/2/changes/")
    assert "tr_one_year" in changes
    assert "C2" in changes


def test_a_group_accepted_leaves_needs_attention_once_a_worker_rebuilt_the_pages(client, use_storage, start_worker):
    # given a processed dataset and a real worker
    use_storage("local")
    start_worker(storage_environment("local", None))
    _login(client)
    dataset_id = _upload(client, _sample_files())
    assert _wait_finished(client, dataset_id)["status"] == "done"

    # when its whitespace group is accepted through the page's form
    accepted = client.post(
        f"/datasets/{dataset_id}/anomalies/accept/",
        {"scope": "group", "file": "columns", "code": "whitespace", "field": "dataset_column_name", "value": " tr_3y "},
    )
    assert accepted.status_code == 302

    # then the worker's job moves the counts: out of "needs attention", one accepted
    deadline = time.monotonic() + 60
    while "follow it within seconds" in (html := _html(client, f"/datasets/{dataset_id}/anomalies/")):
        assert time.monotonic() < deadline, "the anomaly pages were not rebuilt within 60 s"
        time.sleep(0.2)
    assert re.search(r"9 new · 0 known · 1 accepted", html)
    assert "tr_3y" in _html(client, f"/datasets/{dataset_id}/anomalies/", {"status": "accepted"})
    version = DatasetVersion.objects.get(dataset_id=dataset_id)
    assert (version.statuses_revision, version.statuses_rebuilt) == (1, True)
