"""Issue 18's defects of the dataset and "What changed" pages: each one, as a user met it."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from engine import pipeline_run
from reports.diff import diff_csv, diff_json, version_diff
from tests.factories import VersionFactory, published_dataset
from uploads.models import Dataset, DatasetVersion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

NAMESPACES = b"namespace_id,namespace_option_name\nN1,One\n"
DATAPOINTS = b"data_point_id,data_point_name,data_type\nDP1,One,string\n"
COLUMNS_HEADER = "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name\n"


def _columns(count: int) -> bytes:
    return (COLUMNS_HEADER + "".join(f"C{i:04d},N1,db,t,c{i:04d}\n" for i in range(count))).encode()


def _with_diff(version: DatasetVersion, *, before: int, after: int, previous: DatasetVersion) -> DatasetVersion:
    """`version` compared with `previous`: `before` column rows then `after` (all renamed away)."""

    def run(columns: bytes):
        return pipeline_run(files={"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": columns})

    diff = version_diff(before=run(_columns(before)), after=run(_columns(after)))
    version.diff_json.save("changes.json", ContentFile(diff_json(diff)), save=False)
    version.diff_csv.save("changes.csv", ContentFile(diff_csv(diff)), save=False)
    version.compared_to = previous
    version.save()
    return version


@pytest.fixture
def steward(client):
    user = get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")
    client.force_login(user)
    return user


def _current(dataset: Dataset, version: DatasetVersion) -> Dataset:
    Dataset.objects.filter(pk=dataset.pk).update(current_version=version)
    return Dataset.objects.get(pk=dataset.pk)


def test_deleting_a_version_asks_first_and_keeps_the_next_versions_what_changed(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward)
    v1 = dataset.current_version
    v2 = _with_diff(VersionFactory(dataset=dataset, number=2), before=3, after=2, previous=v1)
    dataset = _current(dataset, v2)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert f'href="/datasets/{dataset.pk}/versions/1/delete/"' in page  # a link to a question, not a button

    question = client.get(f"/datasets/{dataset.pk}/versions/1/delete/")
    assert question.status_code == 200
    assert dataset.versions.count() == 2
    text = question.content.decode()
    assert "Delete version 1 of" in text
    assert "cannot be undone" in text
    assert "Version 2 was compared with it" in text

    assert client.post(f"/datasets/{dataset.pk}/versions/1/delete/").status_code == 302
    assert list(dataset.versions.values_list("number", flat=True)) == [2]
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert f"/datasets/{dataset.pk}/versions/2/changes/" in page
    changes = client.get(f"/datasets/{dataset.pk}/versions/2/changes/").content.decode()
    assert "Compared with version (deleted)" in changes
    assert "c0002" in changes


def test_the_list_shows_the_current_version_healthy_when_a_later_one_failed(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    v2 = VersionFactory(dataset=dataset, number=2)
    _current(dataset, v2)
    VersionFactory(dataset=dataset, number=3, status="failed")

    page = client.get("/").content.decode()

    assert '<span class="badge status-done">Done</span>' in page
    assert "v2 current; v3 failed" in page
    assert "status-failed" not in page


def test_after_a_failed_first_upload_the_way_forward_is_a_new_version_of_this_dataset(client, steward):
    dataset = Dataset.objects.create(name="Broken", owner=steward)
    VersionFactory(
        dataset=dataset, number=1, status="failed", counts={"columns": {"anomalies": {"header-missing-column": 1}}}
    )

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()

    assert "upload the three files again" not in page
    assert "#upload-title" not in page
    assert '<a href="#new-version-title">upload a new version</a>' in page
    assert "carried over from version 1" in page
    assert "Pages show the new version once it is done." in page
    assert "Pages keep showing the current version" not in page  # there is none


def test_a_failed_versions_what_changed_compares_nothing(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    # a comparison written before failed versions got none: every record "removed"
    _with_diff(
        VersionFactory(dataset=dataset, number=2, status="failed"), before=3, after=0, previous=dataset.current_version
    )

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert f"/datasets/{dataset.pk}/versions/2/changes/" not in page
    changes = client.get(f"/datasets/{dataset.pk}/versions/2/changes/").content.decode()
    assert "Version 2 failed: it keeps no records, so there is nothing to compare." in changes
    assert "removed" not in changes
    assert "resolved" not in changes


def test_the_delete_in_a_failed_versions_card_deletes_that_version_only(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    VersionFactory(dataset=dataset, number=2, status="failed", counts={})

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()

    card = page[page.index('id="progress"') : page.index('id="about-title"')]
    assert f'href="/datasets/{dataset.pk}/versions/2/delete/">Delete version 2…</a>' in card
    assert "/delete/" not in card.replace("/versions/2/delete/", "")
    about = page[page.index('id="about-title"') : page.index('id="files-title"')]
    assert f'href="/datasets/{dataset.pk}/delete/">Delete the dataset…</a>' in about


def test_changes_csv_starts_with_a_byte_order_mark(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    _with_diff(VersionFactory(dataset=dataset, number=2), before=3, after=2, previous=dataset.current_version)

    response = client.get(f"/datasets/{dataset.pk}/versions/2/changes.csv")

    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfsection,change,")


def test_counts_have_one_number_format(client, steward):
    dataset = published_dataset(
        dataset__owner=steward,
        anomalies_total=1346,
        counts={
            "namespaces": {"rows_persisted": 2},
            "datapoints": {"rows_persisted": 5},
            "columns": {"rows_persisted": 12000},
        },
    )

    detail = client.get(f"/datasets/{dataset.pk}/").content.decode()
    listing = client.get("/").content.decode()

    for page in (detail, listing):
        assert "1,346" in page
        assert "1346" not in page
        assert "12,000" in page
        assert "12000" not in page


def test_what_changed_pages_past_the_first_500_changes(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    _with_diff(VersionFactory(dataset=dataset, number=2), before=1201, after=0, previous=dataset.current_version)
    url = f"/datasets/{dataset.pk}/versions/2/changes/"

    first = client.get(url).content.decode()
    assert "C0000" in first
    assert "C0499" in first
    assert "C0500" not in first
    assert "Page 1 of 3: changes 1 to 500 of 1,201" in first
    assert "?section=columns&amp;page=2#diff-columns" in first

    second = client.get(url, {"section": "columns", "page": 2}).content.decode()
    assert "C0500" in second
    assert "C0999" in second
    assert "C0499" not in second
    assert "C1000" not in second
    assert "Page 2 of 3: changes 501 to 1,000 of 1,201" in second
    last = client.get(url, {"section": "columns", "page": 3}).content.decode()
    assert "C1200" in last
    assert "C0999" not in last
    assert "changes 1,001 to 1,201 of 1,201" in last
