"""The dataset delete job under the jobs app, in this process: given up with a readable reason
and offered again, and its jobs forgotten by the sweep once the dataset is gone. The broker is a
recorder here; a worker killed while deleting is in `tests/e2e/test_faults.py`."""

import pytest
from django.utils import timezone

from jobs.leases import job_claim
from jobs.models import JobLease, JobRun, OutboxMessage
from jobs.sweep import jobs_sweep
from tests.factories import processed_dataset, processed_version, upload_files
from uploads import tasks
from uploads.models import Dataset, DatasetVersion
from uploads.services import DELETE_JOB, VERSION_JOB, dataset_create, dataset_delete_request
from uploads.tasks import dataset_delete_task, version_process_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _two_versions(files: dict[str, bytes]) -> Dataset:
    dataset = processed_dataset(files, name="To delete")
    processed_version(dataset, {"columns": files["columns"]})
    return Dataset.objects.get(pk=dataset.pk)


def _delete_requested(dataset: Dataset, capture) -> None:
    with capture(execute=True):
        dataset_delete_request(dataset=dataset)


def _due_now() -> None:
    JobLease.objects.update(available_at=timezone.now())
    OutboxMessage.objects.update(available_at=timezone.now())


def test_a_delete_the_sweep_gives_up_leaves_the_dataset_with_the_reason_and_may_be_asked_again(
    sample_files, broker, django_capture_on_commit_callbacks, settings
):
    # given a dataset whose delete job loses every run (its worker stops each time)
    dataset = _two_versions(sample_files)
    _delete_requested(dataset, django_capture_on_commit_callbacks)
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        _due_now()
        assert job_claim(kind=DELETE_JOB, object_id=str(dataset.pk)) is not None
        JobLease.objects.filter(kind=DELETE_JOB).update(expires_at=timezone.now())
        jobs_sweep()

    # then the dataset stays, no longer marked as being deleted, and says why
    dataset.refresh_from_db()
    assert not dataset.deleting
    assert dataset.delete_error == (
        "Deleting stopped 4 times (the worker running it stopped), so it was given up. "
        "The dataset is kept with the 2 versions not deleted yet; delete it again to try again."
    )

    # and asking again starts the delete afresh, which now finishes
    broker.sent.clear()
    _delete_requested(dataset, django_capture_on_commit_callbacks)
    dataset.refresh_from_db()
    assert dataset.deleting
    assert dataset.delete_error == ""
    assert broker.sent == [("uploads.tasks.dataset_delete_task", [str(dataset.pk)])]
    assert dataset_delete_task.apply(args=[str(dataset.pk)]).get() == "completed"
    assert not Dataset.objects.filter(pk=dataset.pk).exists()


def test_a_delete_that_fails_on_its_last_attempt_says_why_and_what_is_left(
    sample_files, broker, monkeypatch, django_capture_on_commit_callbacks, settings
):
    dataset = _two_versions(sample_files)
    _delete_requested(dataset, django_capture_on_commit_callbacks)

    def half_deleted(*, dataset):
        for version in dataset.versions.all()[:1]:  # one version per run, then the error
            version.delete()
        raise PermissionError("storage refused to delete reports/anomalies.csv")

    monkeypatch.setattr(tasks, "dataset_delete", half_deleted)
    for _ in range(settings.JOB_MAX_ATTEMPTS - 1):
        _due_now()
        assert dataset_delete_task.apply(args=[str(dataset.pk)]).get() == "retrying"
    _due_now()
    with pytest.raises(PermissionError):
        dataset_delete_task.apply(args=[str(dataset.pk)]).get()

    dataset.refresh_from_db()
    assert not dataset.deleting
    assert dataset.delete_error == (
        "Deleting stopped 4 times (the last time: PermissionError: storage refused to delete "
        "reports/anomalies.csv), so it was given up. The dataset is kept, its versions already deleted; "
        "delete it again to try again."
    )


def test_the_sweep_forgets_the_jobs_of_a_deleted_dataset_once_their_history_is_past(
    sample_files, broker, django_capture_on_commit_callbacks, settings
):
    # given a dataset processed and deleted through their jobs, and another one kept
    with django_capture_on_commit_callbacks(execute=True):
        deleted = dataset_create(name="Deleted", owner=None, files=upload_files(sample_files))
        kept = dataset_create(name="Kept", owner=None, files=upload_files(sample_files))
    for version in (deleted, kept):
        assert version_process_task.apply(args=[str(version.pk)]).get() == "completed"
    _delete_requested(deleted.dataset, django_capture_on_commit_callbacks)
    assert dataset_delete_task.apply(args=[str(deleted.dataset_id)]).get() == "completed"
    assert not DatasetVersion.objects.filter(pk=deleted.pk).exists()

    # the run log stays while the history is kept
    assert jobs_sweep()["purged"] == 0
    assert JobLease.objects.count() == 3

    # when it is past, the sweep forgets the jobs of what is gone, and only those
    settings.JOB_HISTORY_DAYS = 0
    assert jobs_sweep()["purged"] == 2
    assert list(JobLease.objects.values_list("kind", "object_id")) == [(VERSION_JOB, str(kept.pk))]
    assert set(JobRun.objects.values_list("lease__object_id", flat=True)) == {str(kept.pk)}
