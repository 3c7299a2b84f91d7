"""Who sees and changes a dataset, with two users: a shared team catalog, changed by its owner or staff."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from uploads.models import Dataset, DatasetStatus
from uploads.services import dataset_create, dataset_process

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

# Every page, report, export and search of a dataset, with parameters that find something in the sample.
READ_PAGES = [
    "",
    "status.json",
    "browse/",
    "browse/?namespace=N1",
    "datapoint/?id=DP3",
    "anomalies/",
    "anomalies.csv",
    "summary.json",
    "export.json?namespace=N1",
    "search/?q=carbon",
    "search/export.json?q=carbon",
]


@pytest.fixture
def users():
    model = get_user_model()
    return {
        "alice": model.objects.create_user(username="alice", password="pw-for-tests-only"),
        "bob": model.objects.create_user(username="bob", password="pw-for-tests-only"),
        "staff": model.objects.create_user(username="staff", password="pw-for-tests-only", is_staff=True),
    }


def _processed(sample_files, owner, name: str) -> Dataset:
    dataset = dataset_create(
        name=name,
        owner=owner,
        enqueue=False,
        **{f"{file}_file": ContentFile(content, name=f"{file}.csv") for file, content in sample_files.items()},
    )
    return dataset_process(dataset_id=str(dataset.pk))


def _answers(client, user, dataset: Dataset) -> dict[str, tuple[int, bytes]]:
    client.force_login(user)
    answers = {}
    for page in READ_PAGES:
        response = client.get(f"/datasets/{dataset.pk}/{page}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        # The top bar names the user; everything under it must be the same for both.
        answers[page] = (response.status_code, body.split(b"</header>", 1)[-1])
    return answers


def test_every_logged_in_user_sees_every_dataset_in_the_list(client, users):
    for owner in ("alice", "bob"):
        Dataset.objects.create(
            name=f"{owner}'s data", owner=users[owner], namespaces_key="k", datapoints_key="k", columns_key="k"
        )
    Dataset.objects.create(name="ingested data", owner=None, namespaces_key="k", datapoints_key="k", columns_key="k")

    for user in ("alice", "bob"):
        client.force_login(users[user])
        page = client.get("/").content.decode()
        assert "alice&#x27;s data" in page and "bob&#x27;s data" in page and "ingested data" in page


def test_another_user_reads_every_page_report_export_and_search_as_the_owner_does(client, users, sample_files):
    dataset = _processed(sample_files, users["alice"], "Alice's sample")
    assert dataset.status == DatasetStatus.DONE

    owner_view = _answers(client, users["alice"], dataset)
    other_view = _answers(client, users["bob"], dataset)

    assert {page: status for page, (status, _) in owner_view.items()} == dict.fromkeys(READ_PAGES, 200)
    for page in READ_PAGES:
        if page in ("", "status.json"):
            assert other_view[page][0] == 200
        else:  # the same bytes: nothing is filtered per user
            assert other_view[page] == owner_view[page], page


def test_only_the_owner_sees_the_change_buttons_and_may_retry_or_delete(client, users):
    dataset = Dataset.objects.create(
        name="d", owner=users["alice"], status="done", namespaces_key="k", datapoints_key="k", columns_key="k"
    )
    client.force_login(users["bob"])

    assert "Process again" not in client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/retry/").status_code == 403
    assert Dataset.objects.get(pk=dataset.pk).status == "done"

    client.force_login(users["alice"])
    assert "Process again" in client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 200


def test_staff_may_change_any_dataset_and_only_staff_an_ingested_one(client, users):
    ingested = Dataset.objects.create(
        name="ingested", owner=None, status="done", namespaces_key="k", datapoints_key="k", columns_key="k"
    )
    client.force_login(users["alice"])
    assert client.post(f"/datasets/{ingested.pk}/delete/").status_code == 403

    client.force_login(users["staff"])
    assert client.get(f"/datasets/{ingested.pk}/delete/").status_code == 200
    assert "Process again" in client.get(f"/datasets/{ingested.pk}/").content.decode()
