"""The overview's "Process again": on the current version it says it makes a new version, and does;
every change refused while a version is processed says why."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import published_dataset
from uploads.models import DatasetVersion, VersionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")
    client.force_login(user)
    return user


def test_process_again_on_the_current_version_makes_a_new_version_and_says_so(client, owner, broker):
    dataset = published_dataset(dataset__owner=owner)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    response = client.post(f"/datasets/{dataset.pk}/versions/1/retry/", follow=True)

    assert "Process again as a new version" in page
    text = response.content.decode()
    assert "Version 2 was made from the files of version 1" in text
    assert "Pages show version <strong>1</strong>, the current one." in text
    v1, v2 = (DatasetVersion.objects.get(dataset=dataset, number=number) for number in (1, 2))
    assert v1.status == VersionStatus.DONE
    assert v2.status == VersionStatus.QUEUED
    assert (v2.namespaces.name, v2.columns.name, v2.replaced_files) == (v1.namespaces.name, v1.columns.name, [])


def test_process_again_and_delete_are_refused_with_the_reason_while_a_version_is_processed(client, owner, broker):
    dataset = published_dataset(dataset__owner=owner)
    client.post(f"/datasets/{dataset.pk}/versions/1/retry/")

    again = client.post(f"/datasets/{dataset.pk}/versions/1/retry/", follow=True)
    delete = client.post(f"/datasets/{dataset.pk}/delete/", follow=True)
    confirm = client.get(f"/datasets/{dataset.pk}/delete/", follow=True)

    for response in (again, delete, confirm):
        assert response.status_code == 200
        assert "still being processed" in response.content.decode()
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 2
    dataset.refresh_from_db()
    assert not dataset.deleting
