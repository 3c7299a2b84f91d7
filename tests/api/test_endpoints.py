"""Every read of the API on the sample processed in this process, the same access rule as the
pages, uploads validated like the form, and `Idempotency-Key` on create."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from api.tokens import token_create
from tests.conftest import SAMPLE_DIR
from uploads.models import Dataset, DatasetVersion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _expected() -> set[tuple]:
    with (SAMPLE_DIR / "expected_anomalies.csv").open() as handle:
        return {(r["file"], int(r["line"]), r["field"], r["code"]) for r in csv.DictReader(handle)}


def _files(sample_files: dict[str, bytes]) -> dict[str, SimpleUploadedFile]:
    return {file: SimpleUploadedFile(f"{file}.csv", content, "text/csv") for file, content in sample_files.items()}


def test_a_dataset_and_its_version_read_with_status_counts_and_severities(api, processed):
    body = api.get(f"/api/v1/datasets/{processed.pk}").json()
    assert body["name"] == "Sample"
    assert body["owner"] == "steward"
    assert body["may_change"] is True
    assert body["current_version"] == 1
    version = body["latest_version"]
    assert version["status"] == "done"
    assert version["final"]
    assert version["current"]
    assert version["percent"] == 100
    assert version["anomalies_total"] == 10
    assert sum(version["severity_counts"].values()) == 10
    assert api.get(f"/api/v1/versions/{version['id']}").json() == version
    listed = api.get("/api/v1/datasets", {"name": "samp"}).json()
    assert [d["id"] for d in listed["items"]] == [str(processed.pk)]
    assert api.get("/api/v1/datasets", {"name": "nothing like it"}).json()["total"] == 0
    assert api.get(f"/api/v1/datasets/{processed.pk}/versions").json()["items"] == [version]


def test_anomalies_are_paged_filtered_and_shaped_by_one_schema(api, processed):
    version_id = processed.current_version_id
    body = api.get(f"/api/v1/versions/{version_id}/anomalies").json()
    assert {(a["file"], a["line"], a["field"], a["code"]) for a in body["items"]} == _expected()
    assert set(body["items"][0]) == {
        *("file", "line", "field", "code", "severity", "value", "key", "message"),
        *("fix", "fingerprint", "status"),
    }
    only = api.get(f"/api/v1/versions/{version_id}/anomalies", {"file": "namespaces", "code": "duplicate-row"}).json()
    assert [(a["file"], a["code"]) for a in only["items"]] == [("namespaces", "duplicate-row")]
    errors = api.get(f"/api/v1/versions/{version_id}/anomalies", {"severity": "error"}).json()
    assert errors["items"]
    assert {a["severity"] for a in errors["items"]} == {"error"}
    wrong = api.get(f"/api/v1/versions/{version_id}/anomalies", {"code": "no-such-code"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"][-1] == "code"


def test_the_two_reports_and_what_changed(api, processed, sample_files):
    version_id = processed.current_version_id
    summary = api.get(f"/api/v1/versions/{version_id}/summary").json()
    assert summary["status"] == "done"
    assert summary["anomalies_total"] == 10
    report = api.get(f"/api/v1/versions/{version_id}/anomalies.csv")
    assert report["Content-Type"].startswith("text/csv")
    assert len(list(csv.DictReader(io.StringIO(report.content.decode("utf-8-sig"))))) == 10
    # no version before the first: nothing was compared
    assert api.get(f"/api/v1/versions/{version_id}/changes").status_code == 404


def test_browse_down_to_data_points_then_a_data_point_a_record_search_and_export(api, processed):
    base = f"/api/v1/datasets/{processed.pk}"
    assert {i["namespace_id"] for i in api.get(f"{base}/browse").json()["items"]} >= {"N1"}
    databases = api.get(f"{base}/browse", {"namespace": "N1"}).json()
    assert databases["level"] == "databases"
    assert "fund_master" in {i["name"] for i in databases["items"]}
    path = {"namespace": "N1", "database": "fund_master", "table": "returns", "column": "tr_1y"}
    leaf = api.get(f"{base}/browse", path).json()
    assert leaf["level"] == "datapoints"
    assert leaf["items"][0]["data_point_id"] == "DP1"
    gap = api.get(f"{base}/browse", {"namespace": "N1", "table": "returns"})
    assert gap.status_code == 400
    assert gap.json()["code"] == "bad_request"
    datapoint = api.get(f"{base}/datapoints/DP1").json()
    assert datapoint["datapoint"]["data_point_name"] == "Total Return 1 Year"
    assert datapoint["columns"]["total"] >= 1
    assert api.get(f"{base}/records/namespaces/N1").json()["namespace_option_name"] == "Fund Performance"
    assert api.get(f"{base}/records/namespaces/NOPE").status_code == 404
    found = api.get(f"{base}/search", {"q": "total return"}).json()
    assert "DP1" in {i["data_point_id"] for i in found["datapoints"]["items"]}
    export = api.get(f"{base}/export", {"namespace": "N1"}).json()
    assert any(key.endswith("_namespaces") for key in export)
    assert api.get(f"{base}/export").status_code == 400
    assert any(key.endswith("_namespaces") for key in api.get(f"{base}/export", {"q": "total"}).json())


def test_the_pages_access_rule_others_see_but_only_owner_or_staff_change(processed, sample_files):
    other = get_user_model().objects.create_user(username="other")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=other, name='t').secret}")
    assert client.get(f"/api/v1/datasets/{processed.pk}").json()["may_change"] is False
    refused = client.post(f"/api/v1/datasets/{processed.pk}/versions", _files(sample_files))
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert client.delete(f"/api/v1/datasets/{processed.pk}").status_code == 403
    assert client.get("/api/v1/datasets/00000000-0000-0000-0000-000000000000").status_code == 404


def test_create_validates_like_the_form_and_a_retried_key_returns_the_first_version(api, sample_files, broker):
    missing = api.post("/api/v1/datasets", {"name": "No files"})
    assert missing.status_code == 422
    assert "Choose the three files" in missing.json()["errors"][0]["msg"]
    wrong = api.post(
        "/api/v1/datasets", {"name": "x", **_files(sample_files), "columns": SimpleUploadedFile("c.exe", b"a")}
    )
    assert wrong.status_code == 422
    assert "not a CSV" in str(wrong.json()["errors"])
    first = api.post("/api/v1/datasets", {"name": "Once", **_files(sample_files)}, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post("/api/v1/datasets", {"name": "Once", **_files(sample_files)}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Dataset.objects.filter(name="Once").count() == 1
    assert DatasetVersion.objects.filter(dataset__name="Once").count() == 1
    other = api.post(
        f"/api/v1/datasets/{first.json()['dataset_id']}/versions", _files(sample_files), HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 409


def test_a_new_version_while_one_is_processing_and_a_delete_then_are_conflicts(api, processed, sample_files, broker):
    created = api.post(f"/api/v1/datasets/{processed.pk}/versions", {"columns": _files(sample_files)["columns"]})
    assert created.status_code == 201
    assert created.json()["number"] == 2
    assert created.json()["replaced_files"] == ["columns"]
    second = api.post(f"/api/v1/datasets/{processed.pk}/versions", {"columns": _files(sample_files)["columns"]})
    assert second.status_code == 409
    assert second.json()["code"] == "conflict"
    assert api.delete(f"/api/v1/datasets/{processed.pk}").status_code == 409
    DatasetVersion.objects.filter(pk=created.json()["id"]).update(status="failed")
    deleted = api.delete(f"/api/v1/datasets/{processed.pk}")
    assert deleted.status_code == 202
    assert Dataset.objects.get(pk=processed.pk).deleting
    assert api.delete(f"/api/v1/datasets/{processed.pk}").status_code == 404


def test_a_wrong_workbook_is_refused_with_the_form_s_message(api):
    response = api.post("/api/v1/datasets", {"name": "W", "workbook": SimpleUploadedFile("w.xls", b"PK")})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["loc"][-1] == "workbook"
    assert ".xlsx" in response.json()["errors"][0]["msg"]


@pytest.mark.parametrize(
    ("path", "body", "content_type"),
    [
        ("/api/v1/datasets", b"--x\r\nnot a part", "multipart/form-data"),  # no boundary
        ("/api/v1/datasets", b"--x\r\nContent-Disposition: form-data\r\n\r\n", "multipart/form-data; boundary=x"),
        ("/api/v1/datasets", b"\xff\xfe name=\x00", "application/x-www-form-urlencoded"),
        ("/api/v1/webhooks", b"{not json", "application/json"),
        ("/api/v1/webhooks", b'{"url": 5, "dataset_id": "nope"}', "application/json"),
    ],
)
def test_a_malformed_body_is_a_json_4xx_never_a_5xx(api, path, body, content_type):
    response = api.generic("POST", path, body, content_type=content_type)
    assert 400 <= response.status_code < 500, response.content[:500]
    assert response.json()["detail"]


def test_a_workbook_makes_a_dataset_and_a_new_version(api, broker):
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in {
        "namespaces": [["namespace_id", "namespace_option_name"], ["N1", "Fund"]],
        "datapoints": [["data_point_id", "data_point_name", "data_type"], ["DP1", "NAV", "decimal"]],
        "columns": [
            ["column_id", "namespace_id", "dataset_database_name", "dataset_table_name"],
            ["C1", "N1", "db", "t"],
        ],
    }.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    content = io.BytesIO()
    book.save(content)
    workbook = SimpleUploadedFile("catalog.xlsx", content.getvalue())

    created = api.post("/api/v1/datasets", {"name": "Book", "workbook": workbook})
    assert created.status_code == 201, created.content
    assert created.json()["replaced_files"] == ["namespaces", "datapoints", "columns"]
    DatasetVersion.objects.filter(pk=created.json()["id"]).update(status="failed")
    workbook.seek(0)
    again = api.post(f"/api/v1/datasets/{created.json()['dataset_id']}/versions", {"workbook": workbook})
    assert again.status_code == 201
    assert again.json()["number"] == 2
