"""The dataset page and status.json say what the jobs app did that the user did not ask for."""

import pytest
from django.utils import timezone

from jobs.models import JobLease, JobRun, LeaseState, OutboxMessage, RunOutcome
from tests.factories import UserFactory, VersionFactory, published_dataset
from uploads.models import Dataset
from uploads.services import DELETE_JOB, VERSION_JOB

# `client` is logged in as `steward` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("steward_client")]

RESTARTED = "The worker stopped during processing; processing restarted automatically (attempt 2 of 4)."


def _lease(kind: str, object_id, note: str = "", state: str = LeaseState.QUEUED) -> JobLease:
    return JobLease.objects.create(
        kind=kind, object_id=str(object_id), state=state, note=note, available_at=timezone.now(), attempts=1
    )


def test_a_restarted_version_says_so_on_the_page_and_in_status_json(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward)
    version = VersionFactory(dataset=dataset, number=2, status="processing", created_by=steward)
    _lease(VERSION_JOB, version.pk, RESTARTED, LeaseState.RUNNING)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    status = client.get(f"/datasets/{dataset.pk}/status.json").json()

    assert RESTARTED in page
    assert '<p id="broker-note" class="muted" hidden>' in page
    assert status["note"] == RESTARTED
    assert status["waiting_for_broker"] is False


def test_a_job_the_broker_has_not_taken_yet_is_shown_waiting(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward)
    version = VersionFactory(dataset=dataset, number=2, status="queued", created_by=steward)
    lease = _lease(VERSION_JOB, version.pk)
    OutboxMessage.objects.create(
        lease=lease,
        task_name="uploads.tasks.version_process_task",
        args=[str(version.pk)],
        available_at=timezone.now(),
        send_attempts=1,
        last_error="Connection refused",
    )

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    status = client.get(f"/datasets/{dataset.pk}/status.json").json()

    assert '<p id="broker-note" class="muted" >The job queue cannot be reached right now' in page
    assert status["waiting_for_broker"] is True
    assert status["note"] is None


def test_a_dataset_being_deleted_shows_its_delete_job(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward)
    dataset.deleting = True
    dataset.save()
    note = "The worker stopped during deleting; deleting restarted automatically (attempt 2 of 4)."
    _lease(DELETE_JOB, dataset.pk, note)

    assert note in client.get(f"/datasets/{dataset.pk}/").content.decode()


STOPPED = (
    "Deleting stopped 4 times (the worker running it stopped), so it was given up. "
    "The dataset is kept with the 1 version not deleted yet; delete it again to try again."
)


def test_a_dataset_whose_delete_stopped_says_why_and_offers_the_delete_again(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward)
    Dataset.objects.filter(pk=dataset.pk).update(current_version=None, delete_error=STOPPED)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    listing = client.get("/").content.decode()

    assert f'<p id="delete-error" class="error">{STOPPED}</p>' in page
    assert f'href="/datasets/{dataset.pk}/delete/">Delete again…</a>' in page
    assert ">delete stopped</span>" in listing
    assert client.get(f"/datasets/{dataset.pk}/delete/").status_code == 200


def test_the_delete_is_offered_again_when_no_version_is_left(client, steward):
    dataset = Dataset.objects.create(name="Half deleted", owner=steward, delete_error=STOPPED)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()

    assert STOPPED in page
    assert f'href="/datasets/{dataset.pk}/delete/">Delete again…</a>' in page


def test_only_those_who_may_change_the_dataset_are_offered_the_delete_again(client, steward):
    owner = UserFactory(username="owner")
    dataset = published_dataset(dataset__owner=owner, created_by=owner)
    Dataset.objects.filter(pk=dataset.pk).update(delete_error=STOPPED)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()

    assert STOPPED in page
    assert "Delete again…" not in page


def test_a_done_version_shows_no_note_of_a_retry_that_came_and_completed(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward)
    retry = "Processing stopped: MongoDB could not be reached. Retrying automatically in 30–40 s (attempt 2 of 4)."
    lease = _lease(VERSION_JOB, dataset.current_version_id, retry, LeaseState.FINISHED)
    for attempt, outcome in ((1, RunOutcome.RETRYING), (2, RunOutcome.COMPLETED)):
        JobRun.objects.create(lease=lease, attempt=attempt, owner="w:1", started_at=timezone.now(), outcome=outcome)

    page = client.get(f"/datasets/{dataset.pk}/").content.decode()
    status = client.get(f"/datasets/{dataset.pk}/status.json").json()

    assert "Retrying automatically" not in page
    assert status["note"] is None
    assert '<p id="job-note" class="muted" aria-live="polite" hidden></p>' in page


def test_a_version_whose_last_run_failed_keeps_its_note(client, steward):
    dataset = published_dataset(dataset__owner=steward, created_by=steward, status="failed")
    failed = "Processing failed: KeyError: x"
    lease = _lease(VERSION_JOB, dataset.current_version_id, failed, LeaseState.FINISHED)
    JobRun.objects.create(lease=lease, attempt=1, owner="w:1", started_at=timezone.now(), outcome=RunOutcome.FAILED)

    assert failed in client.get(f"/datasets/{dataset.pk}/").content.decode()
