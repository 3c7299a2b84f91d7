"""From reading anomalies to fixing them: anomalies grouped, accepted (and undone) across versions,
and the rejected rows as a file, on the sample processed in this process (FerretDB, local storage)."""

import csv
import datetime
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.test import Client

from catalog.mongo import version_collection
from contract import anomaly_group_fingerprint
from uploads.models import AnomalyAcceptance, Dataset, DatasetVersion
from uploads.processing import version_process
from uploads.services import dataset_create, version_create
from uploads.status_pages import version_statuses_refresh

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


@pytest.fixture
def owner(client):
    user = get_user_model().objects.create_user(username="owner", password="pw-for-tests-only")
    client.force_login(user)
    return user


def _uploads(files: dict[str, bytes]) -> dict[str, ContentFile]:
    return {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}


def _first(files: dict[str, bytes], owner) -> Dataset:
    version = dataset_create(name="Sample", owner=owner, files=_uploads(files), enqueue=False)
    version_process(version_id=str(version.pk))
    return Dataset.objects.get(pk=version.dataset_id)


def _again(dataset: Dataset, files: dict[str, bytes]) -> DatasetVersion:
    version = version_create(dataset=dataset, created_by=None, files=_uploads(files), enqueue=False)
    version_process(version_id=str(version.pk))
    version.refresh_from_db()
    return version


def _rows(html: str) -> list[str]:
    return [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL) if "data-label" in row]


def _cell(row: str, label: str) -> str:
    found = re.search(rf'data-label="{label}"[^>]*>(.*?)</td>', row, re.DOTALL)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def _accept_group(client, dataset, *, file, code, field, value, **extra):
    data = {"scope": "group", "file": file, "code": code, "field": field, "value": value, **extra}
    return client.post(f"/datasets/{dataset.pk}/anomalies/accept/", data)


def test_groups_list_one_row_per_file_code_field_and_value_errors_first(client, owner, sample_files):
    dataset = _first(sample_files, owner)
    html = client.get(f"/datasets/{dataset.pk}/anomalies/groups/").content.decode()
    rows = _rows(html)

    severities = [_cell(row, "Severity") for row in rows]
    assert len(rows) == 10
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    reference = next(row for row in rows if _cell(row, "Value") == "N9")
    assert _cell(reference, "Code") == "unknown-reference"
    assert _cell(reference, "Records") == "1"
    assert _cell(reference, "First lines") == "7"
    assert "add namespace N9" in _cell(reference, "Fix")
    group = anomaly_group_fingerprint(file="columns", code="unknown-reference", field="namespace_id", value="N9")
    assert f"/datasets/{dataset.pk}/anomalies/?group={group}&amp;status=all" in reference

    # the link to the rows lists that group's anomalies only
    listed = _rows(client.get(f"/datasets/{dataset.pk}/anomalies/?group={group}&status=all").content.decode())
    assert [(_cell(row, "Line"), _cell(row, "Value")) for row in listed] == [("7", "N9")]

    # the anomaly list's filters apply, for any version
    filtered = _rows(
        client.get(f"/datasets/{dataset.pk}/versions/1/anomalies/groups/?file=namespaces").content.decode()
    )
    assert {_cell(row, "File") for row in filtered} == {"namespaces"}
    assert len(filtered) == 2


def test_a_group_accepted_shows_at_once_and_stays_accepted_in_the_next_version(client, owner, sample_files):
    dataset = _first(sample_files, owner)
    response = _accept_group(
        client, dataset, file="columns", code="whitespace", field="dataset_column_name", value=" tr_3y ",
        note="the source system pads it", next=f"/datasets/{dataset.pk}/anomalies/groups/",
    )  # fmt: skip
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{dataset.pk}/anomalies/groups/"
    acceptance = AnomalyAcceptance.objects.get(dataset=dataset)
    assert (acceptance.note, acceptance.accepted_by, acceptance.scope) == ("the source system pads it", owner, "group")

    # on the current version, at once
    rows = _rows(client.get(f"/datasets/{dataset.pk}/anomalies/groups/").content.decode())
    whitespace = next(row for row in rows if _cell(row, "Code") == "whitespace")
    assert "accepted" in _cell(whitespace, "Status")
    assert "the source system pads it" in whitespace
    assert "Undo accept" in whitespace
    # its counts follow once the job rebuilt the version's anomaly pages (run here in this process)
    html = client.get(f"/datasets/{dataset.pk}/anomalies/").content.decode()
    assert "follow it within seconds" in html
    assert re.search(r"10 new · 0 known · 0 accepted", html)
    assert version_statuses_refresh(version_id=str(dataset.current_version_id)) is True
    html = client.get(f"/datasets/{dataset.pk}/anomalies/").content.decode()
    assert "follow it within seconds" not in html
    assert re.search(r"9 new · 0 known · 1 accepted", html)
    assert "whitespace" not in "".join(_cell(row, "Code") for row in _rows(html))

    # the next version: stored as accepted, counted, out of "needs attention", in anomalies.csv
    second = _again(dataset, sample_files)
    statuses = {d["code"]: d["status"] for d in version_collection(version=second.records_key, kind="anomalies").find()}
    assert statuses["whitespace"] == "accepted"
    assert statuses["blank-row"] == "known"
    html = client.get(f"/datasets/{dataset.pk}/anomalies/").content.decode()
    assert "whitespace" not in "".join(_cell(row, "Code") for row in _rows(html))
    assert re.search(r"9 known · 1 accepted", html)
    accepted = _rows(client.get(f"/datasets/{dataset.pk}/anomalies/?status=accepted").content.decode())
    assert [_cell(row, "Code") for row in accepted] == ["whitespace"]
    groups = _rows(client.get(f"/datasets/{dataset.pk}/anomalies/groups/").content.decode())
    assert len(groups) == 9
    assert all(_cell(row, "Code") != "whitespace" for row in groups)
    report = csv.DictReader(
        io.StringIO(client.get(f"/datasets/{dataset.pk}/anomalies.csv").getvalue().decode("utf-8-sig"))
    )
    assert {row["code"]: row["status"] for row in report}["whitespace"] == "accepted"

    # undo is one click: it needs attention again at once
    undo = client.post(f"/datasets/{dataset.pk}/anomalies/undo/", {"fingerprint": acceptance.fingerprint})
    assert undo.status_code == 302
    assert not AnomalyAcceptance.objects.exists()
    rows = _rows(client.get(f"/datasets/{dataset.pk}/anomalies/?status=accepted").content.decode())
    assert [_cell(row, "Status").split()[0] for row in rows] == ["known"]


def test_one_anomaly_accepted_until_a_day_lapses_after_it(client, owner, sample_files):
    dataset = _first(sample_files, owner)
    fingerprint = version_collection(version=dataset.current_version.records_key, kind="anomalies").find_one(
        {"code": "blank-row"}
    )["fingerprint"]
    common = {"scope": "anomaly", "fingerprint": fingerprint, "file": "columns", "code": "blank-row"}
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    client.post(f"/datasets/{dataset.pk}/anomalies/accept/", {**common, "until": yesterday.isoformat()})
    second = _again(dataset, sample_files)
    blank = version_collection(version=second.records_key, kind="anomalies").find_one({"code": "blank-row"})
    assert blank["status"] == "known"

    client.post(f"/datasets/{dataset.pk}/anomalies/accept/", {**common, "until": ""})
    assert AnomalyAcceptance.objects.get().until is None  # accepting again replaces the decision
    third = _again(dataset, sample_files)
    statuses = {d["code"]: d["status"] for d in version_collection(version=third.records_key, kind="anomalies").find()}
    assert statuses["blank-row"] == "accepted"
    assert statuses["whitespace"] == "known"


def test_only_the_owner_or_staff_accept_with_csrf_and_post_only(client, owner, sample_files):
    dataset = _first(sample_files, owner)
    fields = {"file": "columns", "code": "whitespace", "field": "dataset_column_name", "value": " tr_3y "}
    other = get_user_model().objects.create_user(username="other", password="pw-for-tests-only")
    client.force_login(other)
    assert _accept_group(client, dataset, **fields).status_code == 403
    assert "Accept…" not in client.get(f"/datasets/{dataset.pk}/anomalies/groups/").content.decode()
    client.force_login(owner)
    assert client.get(f"/datasets/{dataset.pk}/anomalies/accept/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(owner)
    assert strict.post(f"/datasets/{dataset.pk}/anomalies/accept/", {"scope": "group", **fields}).status_code == 403
    # a redirect elsewhere is refused: back to the groups
    response = _accept_group(client, dataset, **fields, next="https://example.com/")
    assert response["Location"] == f"/datasets/{dataset.pk}/anomalies/groups/"
    assert not AnomalyAcceptance.objects.exclude(accepted_by=owner).exists()


def test_rejected_rows_are_the_records_an_error_rejected_as_uploaded_with_their_line(client, owner, sample_files):
    columns = (
        sample_files["columns"]
        + b'C10,N9,fund_master,"two\nlines",=cmd,DP1,Equity Research\n'
        + b"C11,N1,fund_master,returns,x,DP1,Equity Research\n"
    )
    dataset = _first({**sample_files, "columns": columns}, owner)
    response = client.get(f"/datasets/{dataset.pk}/rejected/columns.csv")
    body = b"".join(response.streaming_content)

    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith(b"\xef\xbb\xbf")
    assert 'filename="sample-rejected-columns.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [*sample_files["columns"].decode().splitlines()[0].split(","), "source_line"]
    # unknown references (errors) only: not the duplicate row (dropped) nor the whitespace (kept)
    assert rows[1:] == [
        ["C6", "N9", "esg_store", "carbon", "scope3", "DP3", "Sustainability Office", "7"],
        ["C8", "N1", "fund_master", "returns", "tr_5y", "DP7", "Equity Research", "9"],
        ["C10", "N9", "fund_master", "two\nlines", "'=cmd", "DP1", "Equity Research", "13"],
    ]
    namespaces = list(
        csv.reader(
            io.StringIO(
                b"".join(
                    client.get(f"/datasets/{dataset.pk}/versions/1/rejected/namespaces.csv").streaming_content
                ).decode("utf-8-sig")
            )
        )
    )
    assert namespaces[1:] == [["N4", "", "ORPHAN", "6"]]
    assert client.get(f"/datasets/{dataset.pk}/rejected/other.csv").status_code == 404
    detail = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert f"/datasets/{dataset.pk}/rejected/columns.csv" in detail
    assert "rejected columns rows (3)" in detail
