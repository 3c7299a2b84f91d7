"""Who sees and changes a dataset, with two users: a shared team catalog, changed by its owner or staff."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from tests.factories import DatasetFactory, published_dataset
from uploads.models import Dataset, DatasetVersion, VersionStatus
from uploads.processing import version_process
from uploads.services import dataset_create, version_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

# Every page, report, export and search of a dataset, with parameters that find something in the sample.
_TRIAGE = re.compile(
    rb'<details class="triage">.*?</details>|<form [^>]*class="triage">.*?</form>|<form id="fixes-form".*?</form>',
    re.DOTALL,
)
READ_PAGES = [
    "",
    "status.json",
    "browse/",
    "browse/?namespace=N1",
    "datapoint/?id=DP3",
    "anomalies/",
    "anomalies/groups/",
    "rejected/columns.csv",
    "anomalies.csv",
    "summary.json",
    "export.json?namespace=N1",
    "search/?q=carbon",
    "search/export.json?q=carbon",
    # The versions: each one's anomalies and reports, and what changed from version 1 to 2.
    "versions/1/anomalies/",
    "versions/1/anomalies.csv",
    "versions/1/summary.json",
    "versions/2/anomalies/",
    "versions/2/changes/",
    "versions/2/changes.json",
    "versions/2/changes.csv",
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
    """A dataset with two processed versions (the second replaces the columns file)."""
    first = dataset_create(name=name, owner=owner, files=_uploads(sample_files), enqueue=False)
    version_process(version_id=str(first.pk))
    columns = sample_files["columns"].rstrip(b"\n").rsplit(b"\n", 1)[0] + b"\n"  # one row fewer
    second = version_create(
        dataset=first.dataset,
        created_by=owner,
        files={"columns": ContentFile(columns, name="columns.csv")},
        enqueue=False,
    )
    version_process(version_id=str(second.pk))
    return Dataset.objects.get(pk=first.dataset_id)


def _uploads(files: dict[str, bytes]) -> dict[str, ContentFile]:
    return {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}


def _answers(client, user, dataset: Dataset) -> dict[str, tuple[int, bytes]]:
    client.force_login(user)
    answers = {}
    for page in READ_PAGES:
        response = client.get(f"/datasets/{dataset.pk}/{page}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        # The top bar names the user; everything under it must be the same for both, but for the
        # triage controls (accept, undo, a new version from fixes) only the owner gets.
        shown = _TRIAGE.sub(b"", body.split(b"</header>", 1)[-1])
        answers[page] = (response.status_code, re.sub(rb"\s+", b" ", shown))
    return answers


def test_every_logged_in_user_sees_every_dataset_in_the_list(client, users):
    for owner in ("alice", "bob"):
        DatasetFactory(name=f"{owner}'s data", owner=users[owner])
    DatasetFactory(name="ingested data", owner=None)

    for user in ("alice", "bob"):
        client.force_login(users[user])
        page = client.get("/").content.decode()
        assert "alice&#x27;s data" in page and "bob&#x27;s data" in page and "ingested data" in page


def test_another_user_reads_every_page_report_export_and_search_as_the_owner_does(client, users, sample_files):
    dataset = _processed(sample_files, users["alice"], "Alice's sample")
    assert dataset.current_version.number == 2
    assert set(DatasetVersion.objects.filter(dataset=dataset).values_list("status", flat=True)) == {VersionStatus.DONE}

    owner_view = _answers(client, users["alice"], dataset)
    other_view = _answers(client, users["bob"], dataset)

    assert {page: status for page, (status, _) in owner_view.items()} == dict.fromkeys(READ_PAGES, 200)
    for page in READ_PAGES:
        if page in ("", "status.json"):
            assert other_view[page][0] == 200
        else:  # the same bytes: nothing is filtered per user
            assert other_view[page] == owner_view[page], page


def test_only_the_owner_sees_the_change_buttons_and_may_retry_upload_or_delete(client, users):
    dataset = published_dataset(dataset__owner=users["alice"])
    client.force_login(users["bob"])

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Process again" not in page and "Upload a new version" not in page
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/versions/1/retry/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/versions/1/delete/").status_code == 403
    upload = {"columns_file": ContentFile(b"a,b\n1,2\n", name="columns.csv")}
    assert client.post(f"/datasets/{dataset.pk}/versions/", upload).status_code == 403
    dataset.refresh_from_db()
    assert not dataset.deleting and dataset.versions.count() == 1
    assert dataset.versions.get().status == VersionStatus.DONE

    client.force_login(users["alice"])
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Process again" in page and "Upload a new version" in page
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 200


def test_staff_may_change_any_dataset_and_only_staff_an_ingested_one(client, users):
    ingested = published_dataset(dataset__owner=None)
    client.force_login(users["alice"])
    assert client.post(f"/datasets/{ingested.pk}/delete/").status_code == 403

    client.force_login(users["staff"])
    assert client.get(f"/datasets/{ingested.pk}/delete/").status_code == 200
    assert "Process again" in client.get(f"/datasets/{ingested.pk}/").content.decode()
