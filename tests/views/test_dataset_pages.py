"""The overview of a failed dataset: retry only where it can help, and counts that say what happened."""

import pytest
from django.contrib.auth import get_user_model

from uploads.models import Dataset, DatasetStatus

pytestmark = pytest.mark.django_db


def _failed(owner, *, anomalies: dict, error: str) -> Dataset:
    return Dataset.objects.create(
        name="Broken",
        owner=owner,
        status=DatasetStatus.FAILED,
        stage="finished",
        percent=100,
        error=error,
        counts={
            "namespaces": {"rows_read": 3, "rows_persisted": 0, "rows_rejected": 3, "rows_with_errors": 0},
            "datapoints": {"rows_read": 0, "rows_unread": 9995, "anomalies": anomalies},
            "columns": {"rows_read": 12000, "rows_rejected": 12000, "rows_with_errors": 2, "rows_duplicate": 1},
        },
        sources={"columns": {"name": "cols.csv", "size": 2048, "delimiter": "semicolon", "encoding": "UTF-8"}},
        namespaces_key="k",
        datapoints_key="k",
        columns_key="k",
    )


@pytest.fixture
def owner(client):
    user = get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")
    client.force_login(user)
    return user


def test_an_error_in_the_files_offers_the_way_forward_not_a_retry(client, owner, monkeypatch):
    dataset = _failed(owner, anomalies={"header-missing-column": 1}, error="datapoints: required column(s) missing")
    queued = []
    monkeypatch.setattr("uploads.tasks.dataset_process_task.delay", queued.append)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()

    assert "Process again" not in page and "upload the three files again" in page
    assert "code=header-missing-column" in page
    assert "not read (9,995 in the file)" in page  # not "0 rows read"
    assert ">11,997<" in page  # healthy column rows: not saved because the dataset failed, not "rejected"
    assert "cols.csv" in page and "2.0\xa0KB" in page and "semicolon" in page
    response = client.post(f"/datasets/{dataset.pk}/retry/")
    assert response.status_code == 302 and queued == []
    assert Dataset.objects.get(pk=dataset.pk).status == DatasetStatus.FAILED


def test_a_failure_on_the_server_side_can_be_processed_again(
    client, owner, monkeypatch, django_capture_on_commit_callbacks
):
    dataset = _failed(owner, anomalies={}, error="Processing stopped unexpectedly (MongoDB could not be reached).")
    queued = []
    monkeypatch.setattr("uploads.tasks.dataset_process_task.delay", queued.append)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Process again" in page and "problem on the server side" in page

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/datasets/{dataset.pk}/retry/")
    assert queued == [str(dataset.pk)]


def test_the_status_of_a_queued_dataset_says_where_it_waits(client, owner):
    first = _failed(owner, anomalies={}, error="")
    Dataset.objects.filter(pk=first.pk).update(status=DatasetStatus.QUEUED, stage="queued", counts={})
    second = Dataset.objects.create(name="Next", owner=owner, namespaces_key="k", datapoints_key="k", columns_key="k")

    status = client.get(f"/datasets/{second.pk}/status.json").json()

    assert status["status_label"] == "Queued" and status["stage_label"] == "Waiting in the queue"
    assert status["detail"] == "Waiting in the queue: 1 dataset ahead."
    assert "Waiting in the queue: 1 dataset ahead." in client.get("/").content.decode()  # the list says it too
