"""The dataset page lists its versions and takes a new one; rows only (no worker, nothing processed)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import VersionFactory, published_dataset

# `client` is logged in as `steward` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("steward_client")]


def test_the_dataset_page_lists_every_version_with_who_files_counts_and_status(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward, replaced_files=["namespaces"])
    VersionFactory(
        dataset=dataset,
        number=2,
        status="failed",
        created_by=None,
        replaced_files=["columns"],
        counts={
            "namespaces": {"rows_persisted": 0},
            "datapoints": {"rows_persisted": 0},
            "columns": {"rows_persisted": 0},
        },
    )

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()

    assert "Pages show version <strong>1</strong>" in page
    assert page.count('<tr data-version="') == 2
    assert "steward" in page
    assert "command line" in page
    assert "columns (same)" in page
    assert "namespaces (same)" in page
    assert "0 / 0 / 0" in page
    assert "status-failed" in page
    assert f"/datasets/{dataset.pk}/versions/2/anomalies/" in page
    assert "Upload a new version" in page


def test_a_new_version_needs_at_least_one_file(client, steward):
    dataset = published_dataset(dataset__owner=steward)

    response = client.post(f"/datasets/{dataset.pk}/versions/", {})

    assert response.status_code == 400
    assert "Choose at least one file to replace." in response.content.decode()
    assert dataset.versions.count() == 1


def test_no_new_version_while_one_is_being_processed(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    VersionFactory(dataset=dataset, number=2, status="processing")
    upload = SimpleUploadedFile("columns.csv", b"a,b\n1,2\n", "text/csv")

    response = client.post(f"/datasets/{dataset.pk}/versions/", {"columns_file": upload})

    assert response.status_code == 400
    assert "still being processed" in response.content.decode()
    assert dataset.versions.count() == 2


def test_the_current_version_cannot_be_deleted_alone(client, steward):
    dataset = published_dataset(dataset__owner=steward)

    assert client.post(f"/datasets/{dataset.pk}/versions/1/delete/").status_code == 404
    assert dataset.versions.count() == 1


def test_a_version_form_sent_back_names_the_files_to_choose_again(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    files = {
        "namespaces_file": SimpleUploadedFile("ns-v2.csv", b"a,b\n1,2\n", "text/csv"),
        "columns_file": SimpleUploadedFile("columns.xls", b"\xd0\xcf\x11\xe0"),
    }

    response = client.post(f"/datasets/{dataset.pk}/versions/", files)

    page = response.content.decode()
    assert response.status_code == 400
    assert dataset.versions.count() == 1
    assert "Nothing was uploaded" in page
    assert "choose the 2 files again (New namespaces CSV, New columns CSV)" in page
    assert '<small class="muted" id="id_namespaces_file_again">“ns-v2.csv” was fine: choose it again.</small>' in page
    assert 'aria-describedby="id_namespaces_file_again"' in page
    # the wrong file has its error instead, in the element upload-check.js also writes into
    assert 'aria-invalid="true" aria-describedby="id_columns_file_error"' in page
    assert '<p class="error" id="id_columns_file_error" role="alert">“columns.xls” is not a CSV file' in page
    assert "id_columns_file_again" not in page
