"""The fix loop through the API, on the sample processed in this process: anomalies grouped,
a group or an anomaly accepted and undone, the fixes as files or as a new version, the rejected
rows; the pages' access rule (a reader lists and downloads, only the owner or staff decide or make
a version), and bad input answered in JSON."""

import csv
import io
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from api.tokens import token_create
from contract import anomaly_group_fingerprint
from uploads.models import AnomalyAcceptance, DatasetVersion
from uploads.status_pages import version_statuses_refresh

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

WHITESPACE = ("columns", "whitespace", "dataset_column_name", " tr_3y ")
NAMESPACE_COPY = ("namespaces", "duplicate-row", "", "N2,Portfolio Holdings,PORTFOLIO_HOLDINGS")
N9 = ("columns", "unknown-reference", "namespace_id", "N9")


def _group(parts: tuple[str, str, str, str]) -> str:
    file, code, field, value = parts
    return anomaly_group_fingerprint(file=file, code=code, field=field, value=value)


def _accept(parts: tuple[str, str, str, str], **extra) -> dict:
    file, code, field, value = parts
    return {"scope": "group", "file": file, "code": code, "field": field, "value": value, **extra}


@pytest.fixture
def reader() -> Client:
    """Another user's token: sees every dataset, changes none of the steward's."""
    other = get_user_model().objects.create_user(username="reader")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_create(user=other, name='t').secret}")


def test_groups_are_one_row_per_file_code_field_and_value_with_counts_fix_and_fingerprint(api, processed):
    url = f"/api/v1/versions/{processed.current_version_id}/anomaly-groups"
    body = api.get(url).json()

    assert body["total"] == 10
    assert body["statuses_pending"] is False
    severities = [item["severity"] for item in body["items"]]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    by_group = {item["group"]: item for item in body["items"]}
    reference = by_group[_group(N9)]
    assert reference == {
        "group": _group(N9),
        "file": "columns",
        "code": "unknown-reference",
        "severity": "error",
        "field": "namespace_id",
        "value": "N9",
        "count": 1,
        "statuses": {"new": 1, "known": 0, "accepted": 0},
        "lines": [7],
        "message": reference["message"],
        "fix": reference["fix"],
        "fixable": False,
        "acceptance": None,
    }
    assert reference["message"] == "names no persisted record of namespaces; record rejected"
    assert "add namespace N9" in reference["fix"]
    assert by_group[_group(WHITESPACE)]["fixable"] is True
    assert by_group[_group(NAMESPACE_COPY)]["fixable"] is True

    only = api.get(url, {"code": "whitespace"}).json()
    assert [item["group"] for item in only["items"]] == [_group(WHITESPACE)]
    errors = api.get(url, {"severity": "error", "file": "columns"}).json()["items"]
    assert {(item["severity"], item["file"]) for item in errors} == {("error", "columns")}
    assert len(errors) == 2
    assert api.get(url, {"status": "accepted"}).json()["total"] == 0
    assert api.get(url, {"status": "new"}).json()["total"] == 10

    wrong = api.get(url, {"code": "no-such-code"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"][-1] == "code"
    assert api.get("/api/v1/versions/00000000-0000-0000-0000-000000000000/anomaly-groups").status_code == 404


def test_a_group_accepted_shows_at_once_counts_once_rebuilt_and_is_undone(api, processed, reader, broker):
    base = f"/api/v1/datasets/{processed.pk}/acceptances"
    groups_url = f"/api/v1/versions/{processed.current_version_id}/anomaly-groups"

    # a reader lists, but does not decide
    refused = reader.post(base, _accept(N9, note="known gap"), content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    assert reader.get(base).json()["total"] == 0

    created = api.post(base, _accept(N9, note="known gap", until="2999-12-31"), content_type="application/json")
    assert created.status_code == 201, created.content
    acceptance = created.json()
    assert acceptance["fingerprint"] == _group(N9)
    assert (acceptance["scope"], acceptance["note"], acceptance["until"]) == ("group", "known gap", "2999-12-31")
    assert (acceptance["accepted_by"], acceptance["active"]) == ("steward", True)
    assert reader.get(base).json()["items"] == [acceptance]

    # the decision shows on its group at once; the counts follow once the job rebuilt the pages
    shown = api.get(groups_url, {"code": "unknown-reference"}).json()
    assert shown["statuses_pending"] is True
    by_group = {item["group"]: item for item in shown["items"]}
    assert by_group[_group(N9)]["acceptance"] == acceptance
    assert by_group[_group(("columns", "unknown-reference", "data_point_id", "DP7"))]["acceptance"] is None
    assert version_statuses_refresh(version_id=str(processed.current_version_id)) is True
    rebuilt = api.get(groups_url, {"status": "accepted"}).json()
    assert rebuilt["statuses_pending"] is False
    assert [(item["group"], item["statuses"]) for item in rebuilt["items"]] == [
        (_group(N9), {"new": 0, "known": 0, "accepted": 1})
    ]

    # accepting again replaces the note; one decision per fingerprint
    again = api.post(base, _accept(N9, note="still known"), content_type="application/json")
    assert again.status_code == 201
    assert again.json()["until"] is None
    assert AnomalyAcceptance.objects.filter(dataset=processed).count() == 1

    # undo: only the owner or staff; then it is gone, and a second undo finds nothing
    assert reader.delete(f"{base}/{_group(N9)}").status_code == 403
    assert api.delete(f"{base}/{_group(N9)}").status_code == 204
    assert api.get(base).json()["total"] == 0
    gone = api.delete(f"{base}/{_group(N9)}")
    assert gone.status_code == 404
    assert gone.json()["code"] == "not_found"
    assert api.delete(f"{base}/not-a-fingerprint").status_code == 422


def test_one_anomaly_is_accepted_by_its_fingerprint(api, processed, broker):
    anomalies = api.get(f"/api/v1/versions/{processed.current_version_id}/anomalies", {"code": "blank-row"}).json()
    (blank,) = anomalies["items"]
    chosen = {"scope": "anomaly", "file": blank["file"], "code": blank["code"], "fingerprint": blank["fingerprint"]}
    created = api.post(f"/api/v1/datasets/{processed.pk}/acceptances", chosen, content_type="application/json")
    assert created.status_code == 201, created.content
    assert (created.json()["scope"], created.json()["fingerprint"]) == ("anomaly", blank["fingerprint"])


@pytest.mark.parametrize(
    ("body", "where", "says"),
    [
        ({"scope": "anomaly", "file": "columns", "code": "blank-row"}, "form", "Say which anomaly"),
        ({**_accept(N9), "until": "2026-13-40"}, "until", ""),
        ({**_accept(N9), "code": "no-such-code"}, "code", ""),
        ({**_accept(N9), "scope": "everything"}, "scope", ""),
        ({**_accept(N9), "fingerprint": "ABC"}, "fingerprint", ""),
        ({**_accept(N9), "value": "x" * 201}, "value", ""),
        ({"file": "columns"}, "scope", ""),
    ],
)
def test_a_wrong_acceptance_is_a_422_naming_the_field_and_nothing_is_kept(api, processed, body, where, says):
    response = api.post(f"/api/v1/datasets/{processed.pk}/acceptances", body, content_type="application/json")
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert where in [error["loc"][-1] for error in errors]
    assert says in " ".join(error["msg"] for error in errors)
    assert not AnomalyAcceptance.objects.exists()


def test_a_malformed_acceptance_body_is_a_json_4xx(api, processed):
    response = api.generic(
        "POST", f"/api/v1/datasets/{processed.pk}/acceptances", b"{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_the_fixes_download_as_a_csv_or_a_zip_for_any_reader(api, processed, reader, sample_files):
    url = f"/api/v1/versions/{processed.current_version_id}/fixes"
    one = reader.post(url, {"groups": [_group(WHITESPACE)]}, content_type="application/json")
    assert one.status_code == 200, one.content
    assert one["Content-Type"].startswith("text/csv")
    assert 'filename="sample-v1-fixed-columns.csv"' in one["Content-Disposition"]
    assert one.content == sample_files["columns"].replace(b" tr_3y ", b"tr_3y")

    both = api.post(url, {"groups": [_group(WHITESPACE), _group(NAMESPACE_COPY)]}, content_type="application/json")
    assert both["Content-Type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(both.content))
    assert sorted(bundle.namelist()) == ["columns.csv", "namespaces.csv"]
    assert bundle.read("namespaces.csv").count(b"N2,Portfolio Holdings") == 1
    # the upload stays as it was
    with processed.current_version.columns.open("rb") as handle:
        assert handle.read() == sample_files["columns"]

    nothing = api.post(url, {"groups": [_group(N9)]}, content_type="application/json")
    assert nothing.status_code == 422
    assert nothing.json()["errors"] == [
        {
            "loc": ["body", "groups"],
            "msg": "None of these groups has a fix that can be applied (see `fixable` in anomaly-groups).",
        }
    ]
    for wrong in ({"groups": []}, {"groups": ["not-hex"]}, {"make_version": True}):
        refused = api.post(url, wrong, content_type="application/json")
        assert refused.status_code == 422, wrong
        assert "groups" in refused.json()["errors"][0]["loc"]


def test_a_new_version_from_the_fixes_owner_only_latest_only_once_per_key(api, processed, reader, broker):
    url = f"/api/v1/versions/{processed.current_version_id}/fixes"
    body = {"groups": [_group(WHITESPACE), _group(NAMESPACE_COPY)], "make_version": True}

    refused = reader.post(url, body, content_type="application/json")
    assert refused.status_code == 403
    assert not DatasetVersion.objects.filter(number=2).exists()
    nothing = api.post(url, {**body, "groups": [_group(N9)]}, content_type="application/json")
    assert nothing.status_code == 422
    assert not DatasetVersion.objects.filter(number=2).exists()

    created = api.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="fix-1")
    assert created.status_code == 201, created.content
    version = created.json()
    assert (version["number"], version["status"], version["final"]) == (2, "queued", False)
    assert sorted(version["replaced_files"]) == ["columns", "namespaces"]
    retried = api.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="fix-1")
    assert (retried.status_code, retried.json()) == (201, version)
    assert DatasetVersion.objects.filter(dataset=processed).count() == 2

    # another while version 2 is queued: busy; once it failed, version 1 is no longer the latest
    busy = api.post(url, body, content_type="application/json")
    assert (busy.status_code, busy.json()["code"]) == (409, "conflict")
    DatasetVersion.objects.filter(pk=version["id"]).update(status="failed")
    older = api.post(url, body, content_type="application/json")
    assert older.status_code == 409
    assert "latest version only" in older.json()["detail"]
    # the files still download from it
    assert api.post(url, {**body, "make_version": False}, content_type="application/json").status_code == 200


def test_the_rejected_rows_stream_as_a_csv_with_their_source_line(api, processed, reader):
    url = f"/api/v1/versions/{processed.current_version_id}/rejected"
    response = reader.get(f"{url}/columns")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="sample-v1-rejected-columns.csv"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][-1] == "source_line"
    assert [(row[0], row[-1]) for row in rows[1:]] == [("C6", "7"), ("C8", "9")]
    assert api.get(f"{url}/other").status_code == 422
    missing = api.get("/api/v1/versions/00000000-0000-0000-0000-000000000000/rejected/columns")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")


def test_a_version_whose_records_are_not_kept_has_no_groups_fixes_nor_rejected_rows(api, processed):
    DatasetVersion.objects.filter(pk=processed.current_version_id).update(records_kept=False)
    base = f"/api/v1/versions/{processed.current_version_id}"
    assert api.get(f"{base}/anomaly-groups").json()["total"] == 0
    fixes = api.post(f"{base}/fixes", {"groups": [_group(WHITESPACE)]}, content_type="application/json")
    assert fixes.status_code == 404
    assert "not kept" in fixes.json()["detail"]
    assert api.get(f"{base}/rejected/columns").status_code == 404


def test_the_session_reads_groups_but_must_send_the_csrf_token_to_accept(steward, processed):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(steward)
    assert browser.get(f"/api/v1/versions/{processed.current_version_id}/anomaly-groups").status_code == 200
    response = browser.post(
        f"/api/v1/datasets/{processed.pk}/acceptances", _accept(N9), content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert not AnomalyAcceptance.objects.exists()
