"""Who sees and changes a dataset, with two users: a shared team catalog, changed by its owner or staff.

The pages come from the URLconf: every named URL pattern (Django's admin and the REST API aside,
each with its own login; the API's tokens and access rule are tested in tests/api), with sample ids
filled in. A new page is checked as soon as it exists; until it is listed
below as a read or a change, `test_every_page_of_the_urlconf_is_listed_here` fails.
"""

import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse

from catalog.mongo import version_documents_drop
from contract import anomaly_group_fingerprint
from tests.conftest import sample_read
from tests.factories import DatasetFactory, UserFactory, processed_dataset, processed_version, published_dataset
from uploads.models import Dataset, DatasetVersion, VersionStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

# Anonymous visitors may use these (the views are marked `login_not_required`).
PUBLIC = {"login", "healthz", "readyz"}
# The pages that only read, with a query that finds something in the sample. Another user gets the
# same answer as the owner: the catalog is shared.
READS = {
    "uploads:dataset_list": "",
    "uploads:dataset_detail": "",
    "uploads:dataset_status": "",
    "uploads:browse": "?namespace=N1",
    "uploads:datapoint_detail": "?id=DP3",
    "uploads:anomaly_list": "",
    "uploads:source_lines": "?line=8",
    "uploads:record": "?key=C7",
    "uploads:anomalies_csv": "",
    "uploads:summary_json": "",
    "uploads:export_json": "?namespace=N1",
    "uploads:search": "?q=carbon",
    "uploads:search_all": "?q=carbon",
    "uploads:search_export_json": "?q=carbon",
    "uploads:help_anomalies": "",
    "uploads:template_download": "",
    "uploads:template_workbook_download": "",
    "uploads:sample_download": "",
    "uploads:version_anomaly_list": "",
    "uploads:version_source_lines": "?line=8",
    "uploads:version_source_line_raw": "?line=8",
    "uploads:version_anomalies_csv": "",
    "uploads:version_summary_json": "",
    "uploads:version_changes": "",
    "uploads:version_changes_json": "",
    "uploads:version_changes_csv": "",
    "uploads:anomaly_groups": "",
    "uploads:version_anomaly_groups": "?status=all",
    "uploads:rejected_csv": "",
    "uploads:version_rejected_csv": "",
    # the sample's whitespace group (file, code, field, value)
    "uploads:version_fixes_download": "?group="
    + anomaly_group_fingerprint(file="columns", code="whitespace", field="dataset_column_name", value=" tr_3y "),
}
# Pages that answer with a redirect to another page (a record leads to where it is browsed).
REDIRECTS = {"uploads:record"}
# Pages that differ per user: the change buttons, `may_change`, the upload form's CSRF token.
PER_USER = {"uploads:dataset_list", "uploads:dataset_detail", "uploads:dataset_status"}
# and the triage controls (accept, undo, a new version from fixes) with their CSRF tokens
PER_USER |= {"uploads:anomaly_list", "uploads:version_anomaly_list", "uploads:anomaly_groups"}
PER_USER |= {"uploads:version_anomaly_groups"}
# Pages, GET or POST, that change a dataset: only its owner or staff.
CHANGES = {"uploads:dataset_delete", "uploads:version_create", "uploads:version_retry", "uploads:version_delete"}
CHANGES |= {"uploads:anomaly_accept", "uploads:anomaly_undo", "uploads:version_fixes"}
# Neither: ends the session of whoever is logged in.
SESSION = {"logout"}
# A person's own API tokens and webhooks: each user has their own, another's id is not found.
OWN = {"api:token_list", "api:token_revoke", "api:webhook_list", "api:webhook_delete", "api:delivery_send_again"}


def _named_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """(name with its namespace, route, view) of every named URL pattern, Django's admin aside."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace not in ("admin", "api-v1"):
                inner = ":".join(part for part in (namespace, entry.namespace) if part)
                yield from _named_patterns(entry.url_patterns, route, inner)
        elif entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), route, entry.callback


ROUTES = {name: route for name, route, _ in _named_patterns()}
VIEWS = {name: view for name, _, view in _named_patterns()}
PROTECTED = sorted(set(ROUTES) - PUBLIC)


def _url(name: str, dataset_id, number: int = 2) -> str:
    """The page's path with sample ids filled in (version 2, the columns file), and its query."""
    sample = {"dataset_id": dataset_id, "number": number, "file": "columns", "token_id": 1}
    sample.update(subscription_id=uuid.uuid4(), delivery_id=uuid.uuid4())
    parameters = re.findall(r"<(?:\w+:)?(\w+)>", ROUTES[name])
    return reverse(name, kwargs={key: sample[key] for key in parameters}) + READS.get(name, "")


@pytest.fixture(scope="module")
def users(module_rows) -> dict:
    return {
        "alice": UserFactory(username="alice"),
        "bob": UserFactory(username="bob"),
        "staff": UserFactory(username="staff", is_staff=True),
    }


@pytest.fixture(scope="module")
def alices_sample(users, module_rows, mongo) -> Dataset:
    """Alice's sample with two processed versions (the second drops the last columns row), processed
    once for the module: the tests only read it."""
    files = sample_read()
    dataset = processed_dataset(files, name="Alice's sample", owner=users["alice"])
    columns = files["columns"].rstrip(b"\n").rsplit(b"\n", 1)[0] + b"\n"
    processed_version(dataset, {"columns": columns}, created_by=users["alice"])
    yield Dataset.objects.get(pk=dataset.pk)
    for version in dataset.versions.all():
        version_documents_drop(version=version.records_key)


def _read(client, url: str) -> tuple[int, bytes]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    # The top bar names the user; everything under it must be the same for both.
    return response.status_code, body.split(b"</header>", 1)[-1]


def test_every_page_of_the_urlconf_is_listed_here():
    unlisted = set(PROTECTED) - set(READS) - CHANGES - SESSION - OWN
    gone = (set(READS) | CHANGES | SESSION | PUBLIC | OWN) - set(ROUTES)

    assert not unlisted, f"new pages: add each to READS (with a query) or CHANGES in {__file__}"
    assert not gone, "pages no longer in the URLconf"


def test_only_the_public_pages_need_no_login():
    public = {name for name, view in VIEWS.items() if getattr(view, "login_required", True) is False}

    assert public == PUBLIC


@pytest.mark.parametrize("name", PROTECTED)
def test_an_anonymous_visitor_is_sent_to_the_login_page_and_changes_nothing(client, name, alices_sample):
    url = _url(name, alices_sample.pk)

    for response in (client.get(url), client.post(url)):
        if response.status_code in (401, 403):  # an API answers JSON, not a redirect
            assert response["Content-Type"].startswith("application/json"), url
        else:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url

    dataset = Dataset.objects.get(pk=alices_sample.pk)
    assert not dataset.deleting
    assert dataset.versions.count() == 2
    assert set(dataset.versions.values_list("status", flat=True)) == {VersionStatus.DONE}


@pytest.mark.parametrize("name", sorted(READS))
def test_another_user_reads_every_page_as_the_owner_does(client, users, alices_sample, name):
    url = _url(name, alices_sample.pk)
    client.force_login(users["alice"])
    owner_view = _read(client, url)
    client.force_login(users["bob"])
    other_view = _read(client, url)

    assert owner_view[0] == (302 if name in REDIRECTS else 200), url
    if name in PER_USER:
        assert other_view[0] == owner_view[0]
    else:  # the same bytes: nothing is filtered per user
        assert other_view == owner_view, url


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_another_user_may_not_change_the_dataset(client, users, name):
    dataset = published_dataset(dataset__owner=users["alice"])
    url = _url(name, dataset.pk, number=1)
    client.force_login(users["bob"])

    upload = {"columns_file": ContentFile(b"a,b\n1,2\n", name="columns.csv")}
    assert client.post(url, upload if name == "uploads:version_create" else {}).status_code == 403, url

    dataset.refresh_from_db()
    assert not dataset.deleting
    assert dataset.versions.count() == 1
    assert dataset.versions.get().status == VersionStatus.DONE


@pytest.mark.parametrize("name", sorted(name for name in PROTECTED if "dataset_id" in ROUTES[name]))
def test_a_dataset_that_does_not_exist_is_not_found_on_any_page(client, users, name):
    client.force_login(users["staff"])
    url = _url(name, uuid.uuid4(), number=1)

    response = client.post(url) if name in CHANGES else client.get(url)

    assert response.status_code == 404, url


def test_every_logged_in_user_sees_every_dataset_in_the_list(client, users):
    for owner in ("alice", "bob"):
        DatasetFactory(name=f"{owner}'s data", owner=users[owner])
    DatasetFactory(name="ingested data", owner=None)

    for user in ("alice", "bob"):
        client.force_login(users[user])
        page = client.get("/").content.decode()
        assert "alice&#x27;s data" in page
        assert "bob&#x27;s data" in page
        assert "ingested data" in page


def test_the_versions_of_the_shared_sample_are_done(alices_sample):
    assert alices_sample.current_version.number == 2
    assert set(DatasetVersion.objects.filter(dataset=alices_sample).values_list("status", flat=True)) == {
        VersionStatus.DONE
    }


def test_only_the_owner_sees_the_change_buttons_and_may_retry_upload_or_delete(client, users):
    dataset = published_dataset(dataset__owner=users["alice"])
    client.force_login(users["bob"])

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Process again" not in page
    assert "Upload a new version" not in page
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/delete/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/versions/1/retry/").status_code == 403
    assert client.post(f"/datasets/{dataset.pk}/versions/1/delete/").status_code == 403
    upload = {"columns_file": ContentFile(b"a,b\n1,2\n", name="columns.csv")}
    assert client.post(f"/datasets/{dataset.pk}/versions/", upload).status_code == 403
    dataset.refresh_from_db()
    assert not dataset.deleting
    assert dataset.versions.count() == 1
    assert dataset.versions.get().status == VersionStatus.DONE

    client.force_login(users["alice"])
    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    assert "Process again" in page
    assert "Upload a new version" in page
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 200


def test_staff_may_change_any_dataset_and_only_staff_an_ingested_one(client, users):
    ingested = published_dataset(dataset__owner=None)
    client.force_login(users["alice"])
    assert client.post(f"/datasets/{ingested.pk}/delete/").status_code == 403

    client.force_login(users["staff"])
    assert client.get(f"/datasets/{ingested.pk}/delete/").status_code == 200
    assert "Process again" in client.get(f"/datasets/{ingested.pk}/").content.decode()
