"""The overview of a failed version: retry only where it can help, and counts that say what happened."""

import pytest

from uploads.models import Dataset, DatasetVersion, VersionStatus

# `client` is logged in as `steward` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("steward_client")]


def _failed(owner, *, anomalies: dict, error: str) -> DatasetVersion:
    dataset = Dataset.objects.create(name="Broken", owner=owner)
    return DatasetVersion.objects.create(
        dataset=dataset,
        number=1,
        created_by=owner,
        status=VersionStatus.FAILED,
        stage="finished",
        percent=100,
        error=error,
        counts={
            "namespaces": {"rows_read": 3, "rows_persisted": 0, "rows_rejected": 3, "rows_with_errors": 0},
            "datapoints": {"rows_read": 0, "rows_unread": 9995, "anomalies": anomalies},
            "columns": {"rows_read": 12000, "rows_rejected": 12000, "rows_with_errors": 2, "rows_duplicate": 1},
        },
        sources={"columns": {"name": "cols.csv", "size": 2048, "delimiter": "semicolon", "encoding": "UTF-8"}},
        replaced_files=["namespaces", "datapoints", "columns"],
        namespaces="k",
        datapoints="k",
        columns="k",
    )


def test_an_error_in_the_files_offers_the_way_forward_not_a_retry(client, steward):
    version = _failed(steward, anomalies={"header-missing-column": 1}, error="datapoints: required column(s) missing")

    page = client.get(f"/datasets/{version.dataset_id}/").content.decode()

    assert "Process again" not in page
    assert "upload the three files again" not in page
    assert '<a href="#new-version-title">upload a new version</a>' in page  # of this dataset, not a new one
    assert "code=header-missing-column" in page
    assert "not read (9,995 in the file)" in page  # not "0 rows read"
    assert ">11,997<" in page  # healthy column rows: not saved because the version failed, not "rejected"
    assert "cols.csv" in page
    assert "2.0\xa0KB" in page
    assert "semicolon" in page
    response = client.post(f"/datasets/{version.dataset_id}/versions/1/retry/")
    assert response.status_code == 302
    assert DatasetVersion.objects.get(pk=version.pk).status == VersionStatus.FAILED


def test_a_failure_on_the_server_side_can_be_processed_again(client, steward, django_capture_on_commit_callbacks):
    version = _failed(steward, anomalies={}, error="Processing stopped unexpectedly (MongoDB could not be reached).")

    page = client.get(f"/datasets/{version.dataset_id}/").content.decode()
    assert "Process again" in page
    assert "problem on the server side" in page

    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/datasets/{version.dataset_id}/versions/1/retry/")
    assert DatasetVersion.objects.get(pk=version.pk).status == VersionStatus.QUEUED


def test_the_status_of_a_queued_version_says_where_it_waits(client, steward):
    first = _failed(steward, anomalies={}, error="")
    DatasetVersion.objects.filter(pk=first.pk).update(status=VersionStatus.QUEUED, stage="queued", counts={})
    second = Dataset.objects.create(name="Next", owner=steward)
    DatasetVersion.objects.create(dataset=second, number=1, namespaces="k", datapoints="k", columns="k")

    status = client.get(f"/datasets/{second.pk}/status.json").json()

    assert status["status_label"] == "Queued"
    assert status["stage_label"] == "Waiting in the queue"
    assert status["detail"] == "Waiting in the queue: 1 upload ahead."
    assert "Waiting in the queue: 1 upload ahead." in client.get("/").content.decode()  # the list says it too
