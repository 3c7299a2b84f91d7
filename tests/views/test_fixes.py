"""Fixes applied on request from the grouped anomalies: the corrected files downloaded, or a new
version made from them whose "What changed" shows the fixes; the upload stays as it was."""

import io
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from catalog.mongo import version_collection
from contract import anomaly_group_fingerprint
from uploads.models import Dataset, DatasetVersion
from uploads.processing import version_process
from uploads.services import dataset_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

NEAR = b"C12,N1,fund_master,returns,tr_10y,DP1,equity-research\n"


@pytest.fixture
def owner(client):
    user = get_user_model().objects.create_user(username="owner", password="pw-for-tests-only")
    client.force_login(user)
    return user


@pytest.fixture
def files(sample_files) -> dict[str, bytes]:
    datapoints = sample_files["datapoints"].replace(b",percentage,", b",integr,")
    return {**sample_files, "datapoints": datapoints, "columns": sample_files["columns"] + NEAR}


def _first(files: dict[str, bytes], owner) -> Dataset:
    uploads = {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}
    version = dataset_create(name="Sample", owner=owner, files=uploads, enqueue=False)
    version_process(version_id=str(version.pk))
    return Dataset.objects.get(pk=version.dataset_id)


GROUPS = {
    "whitespace": ("columns", "whitespace", "dataset_column_name", " tr_3y "),
    "near": ("columns", "near-duplicate", "dataset_owner_name", "equity-research"),
    "duplicate": ("columns", "duplicate-row", "", "C1,N1,fund_master,returns,tr_1y,DP1,Equity Research"),
    "namespace copy": ("namespaces", "duplicate-row", "", "N2,Portfolio Holdings,PORTFOLIO_HOLDINGS"),
    "closest": ("datapoints", "invalid-value", "data_type", "integr"),
    "maybe": ("datapoints", "invalid-value", "is_derived", "maybe"),
}


def _group(name: str) -> str:
    file, code, field, value = GROUPS[name]
    return anomaly_group_fingerprint(file=file, code=code, field=field, value=value)


def test_only_groups_with_an_unambiguous_fix_can_be_picked(client, owner, files):
    dataset = _first(files, owner)
    html = client.get(f"/datasets/{dataset.pk}/anomalies/groups/?status=all").content.decode()
    picked = set(re.findall(r'name="group" value="([0-9a-f]{40})" form="fixes-form"', html))
    assert picked == {_group(name) for name in ("whitespace", "near", "duplicate", "namespace copy", "closest")}
    assert _group("maybe") not in picked
    assert "Make a new version from them" in html


def test_the_corrected_file_downloads_with_the_fixes_only_and_the_upload_is_unchanged(client, owner, files):
    dataset = _first(files, owner)
    url = f"/datasets/{dataset.pk}/versions/1/fixes.csv"
    response = client.post(url, {"group": [_group("whitespace"), _group("near")]})
    assert response.status_code == 200
    assert 'filename="sample-v1-fixed-columns.csv"' in response["Content-Disposition"]
    expected = (
        files["columns"]
        .replace(b" tr_3y ", b"tr_3y")
        .replace(NEAR, NEAR.replace(b"equity-research", b"Equity Research"))
    )
    assert response.content == expected
    with dataset.current_version.columns.open("rb") as handle:
        assert handle.read() == files["columns"]

    # groups of two files: a ZIP of both
    both = client.get(url, {"group": [_group("duplicate"), _group("closest"), "not-hex"]})
    bundle = zipfile.ZipFile(io.BytesIO(both.content))
    assert sorted(bundle.namelist()) == ["columns.csv", "datapoints.csv"]
    assert b"C1,N1,fund_master,returns,tr_1y" in bundle.read("columns.csv")
    assert bundle.read("columns.csv").count(b"C1,N1,fund_master,returns,tr_1y") == 1
    assert b",integer," in bundle.read("datapoints.csv")

    # nothing picked, or only groups without a sure fix: nothing to download
    nothing = client.post(url, {"group": [_group("maybe")]})
    assert nothing.status_code == 302


def test_a_new_version_from_the_fixes_shows_them_in_what_changed(client, owner, files):
    dataset = _first(files, owner)
    groups = [_group(name) for name in ("whitespace", "near", "duplicate", "closest")]
    response = client.post(f"/datasets/{dataset.pk}/versions/1/fixes/", {"group": groups})
    assert response.status_code == 302
    assert response["Location"] == f"/datasets/{dataset.pk}/"
    second = DatasetVersion.objects.get(dataset=dataset, number=2)
    assert sorted(second.replaced_files) == ["columns", "datapoints"]
    version_process(version_id=str(second.pk))
    second.refresh_from_db()

    codes = {
        d["code"] for d in version_collection(version=second.records_key, kind="anomalies").find({"file": "columns"})
    }
    assert not codes & {"whitespace", "near-duplicate", "duplicate-row"}
    assert "unknown-reference" in codes
    values = {d["value"] for d in version_collection(version=second.records_key, kind="anomalies").find()}
    assert "integr" not in values
    assert "maybe" in values
    changes = client.get(f"/datasets/{dataset.pk}/versions/2/changes.csv").getvalue().decode("utf-8-sig")
    changed = [line for line in changes.splitlines()[1:] if line.startswith(("columns", "datapoints"))]
    assert any("C12" in line and "Equity Research" in line for line in changed)
    assert any("DP1" in line and "integer" in line for line in changed)


def test_only_the_owner_makes_a_version_any_reader_downloads(client, owner, files):
    dataset = _first(files, owner)
    client.force_login(get_user_model().objects.create_user(username="other", password="pw-for-tests-only"))
    url = f"/datasets/{dataset.pk}/versions/1/fixes/"
    assert client.post(url, {"group": [_group("whitespace")]}).status_code == 403
    assert client.get(url).status_code == 405
    assert client.get(f"{url[:-1]}.csv", {"group": [_group("whitespace")]}).status_code == 200
    assert not DatasetVersion.objects.filter(number=2).exists()


def test_a_new_version_is_made_from_the_latest_version_only(client, owner, files):
    dataset = _first(files, owner)
    client.post(f"/datasets/{dataset.pk}/versions/1/fixes/", {"group": [_group("whitespace")]})
    DatasetVersion.objects.filter(dataset=dataset, number=2).update(status="failed")
    response = client.post(f"/datasets/{dataset.pk}/versions/1/fixes/", {"group": [_group("near")]}, follow=True)
    assert "made from the latest version only" in response.content.decode()
    assert not DatasetVersion.objects.filter(dataset=dataset, number=3).exists()
    page = client.get(f"/datasets/{dataset.pk}/versions/1/anomalies/groups/?status=all").content.decode()
    assert "Make a new version from them" not in page
