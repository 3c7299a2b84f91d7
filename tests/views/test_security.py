"""Security by default: login on every page, CSRF, upload limits, no traceback for bad input."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.factories import UserFactory, published_dataset
from uploads.models import Dataset

pytestmark = pytest.mark.django_db

DATASET_PAGES = [
    "",
    "status.json",
    "anomalies/",
    "browse/",
    "search/",
    "datapoint/?id=X",
    "anomalies.csv",
    "summary.json",
    "export.json?namespace=N1",
    "delete/",
    "versions/1/anomalies/",
    "versions/1/anomalies.csv",
    "versions/1/changes/",
    "versions/1/changes.json",
]


def _files(**overrides) -> dict:
    files = {
        f"{name}_file": SimpleUploadedFile(f"{name}.csv", b"a,b\n1,2\n", "text/csv")
        for name in ("namespaces", "datapoints", "columns")
    }
    return {**files, **overrides}


@pytest.mark.parametrize("path", ["/", "/admin/", *(f"/datasets/{uuid.uuid4()}/{page}" for page in DATASET_PAGES)])
def test_every_page_asks_for_a_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(("/accounts/login/", "/admin/login/"))


def test_an_upload_without_a_csrf_token_is_refused(steward):
    client = Client(enforce_csrf_checks=True)
    client.force_login(steward)

    response = client.post("/", {"name": "x", **_files()})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()  # the app's page, which the CSP allows
    assert not Dataset.objects.exists()


def test_a_file_over_the_size_limit_is_refused_with_a_message(client, steward, settings):
    settings.UPLOAD_MAX_BYTES = 4
    client.force_login(steward)

    response = client.post("/", {"name": "big", **_files()})

    assert response.status_code == 200
    assert "the limit is" in response.content.decode()
    assert not Dataset.objects.exists()


def test_a_file_that_is_not_csv_is_refused(client, steward):
    client.force_login(steward)

    response = client.post("/", {"name": "x", **_files(columns_file=SimpleUploadedFile("columns.xls", b"PK\x03\x04"))})

    assert "is not a CSV file" in response.content.decode()
    assert not Dataset.objects.exists()


def test_a_missing_file_is_reported_on_the_form(client, steward):
    client.force_login(steward)
    files = _files()
    del files["datapoints_file"]

    response = client.post("/", {"name": "x", **files})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_unknown_ids_and_bad_parameters_answer_404_or_400_not_500(client, steward):
    client.force_login(steward)
    dataset = published_dataset(dataset__owner=steward)

    assert client.get(f"/datasets/{uuid.uuid4()}/").status_code == 404
    assert client.get(f"/datasets/{dataset.pk}/versions/9/anomalies/").status_code == 404
    assert client.get(f"/datasets/{dataset.pk}/versions/1/changes.json").status_code == 404  # nothing compared
    assert client.get("/datasets/not-a-uuid/").status_code == 404
    assert client.get(f"/datasets/{dataset.pk}/anomalies.csv").status_code == 404  # not written yet
    assert client.get(f"/datasets/{dataset.pk}/export.json").status_code == 400
    assert client.get(f"/datasets/{dataset.pk}/anomalies/", {"page": "abc", "code": "<x>"}).status_code == 200


def test_only_the_owner_or_staff_may_delete(client, steward):
    other = UserFactory(username="other")
    dataset = published_dataset(dataset__owner=other)
    client.force_login(steward)

    assert client.post(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/versions/1/retry/").status_code == 403
    assert (
        client.post(f"/datasets/{dataset.pk}/versions/", {"columns_file": _files()["columns_file"]}).status_code == 403
    )
    assert not Dataset.objects.get(pk=dataset.pk).deleting
    assert dataset.versions.count() == 1


def test_the_file_inputs_carry_the_server_s_rules_for_the_browser_s_check(client, steward, settings):
    settings.UPLOAD_MAX_BYTES = 3 * 1_048_576
    client.force_login(steward)

    page = client.get("/").content.decode()

    # the three files and the one workbook
    assert page.count('data-max-bytes="3145728"') == 4
    assert page.count('data-name-max="200" data-suffixes=".csv .txt .tsv .xlsx"') == 3
    assert page.count('data-name-max="200" data-suffixes=".xlsx"') == 1
    assert 'data-message-size="“{name}” is {size} MiB; the limit is 3 MiB."' in page
    assert 'data-message-empty="The submitted file is empty."' in page
    assert '<script src="/static/js/upload-check.js" defer></script>' in page
