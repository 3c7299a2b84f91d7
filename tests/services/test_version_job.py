"""The version job under the jobs app, in this process: transient errors retried, then failed
readably; a job given up by the sweep fails its version, with both reports. The broker is a
recorder here; the real worker, beat, Redis and FerretDB faults are in `tests/e2e/test_faults.py`."""

import json

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from pymongo.errors import AutoReconnect, BulkWriteError, OperationFailure

from catalog.mongo import version_document_counts
from jobs.leases import job_claim
from jobs.models import JobLease, JobRun, OutboxMessage
from jobs.sweep import jobs_sweep
from uploads import processing
from uploads.models import DatasetVersion, VersionStatus
from uploads.services import VERSION_JOB, dataset_create
from uploads.tasks import version_process_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

GIVEN_UP = (
    "Processing stopped 4 times (the worker running it stopped), so it was given up. "
    "Nothing was saved; process the version again."
)


def _queued(files: dict[str, bytes], capture) -> DatasetVersion:
    with capture(execute=True):
        return dataset_create(
            name="Job",
            owner=None,
            files={file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()},
        )


def _mongodb_down(monkeypatch) -> None:
    def unreachable(**kwargs):
        raise AutoReconnect("127.0.0.1:27018: [Errno 111] Connection refused")

    monkeypatch.setattr(processing, "records_persist", unreachable)


def test_late_writes_of_a_killed_run_are_retried_not_failed(
    sample_files, broker, monkeypatch, django_capture_on_commit_callbacks
):
    version = _queued(sample_files, django_capture_on_commit_callbacks)

    def late_writes(**kwargs):
        raise BulkWriteError({"writeErrors": [{"index": 0, "code": 11000, "errmsg": "E11000 duplicate key error"}]})

    monkeypatch.setattr(processing, "records_persist", late_writes)

    assert version_process_task.apply(args=[str(version.pk)]).get() == "retrying"
    note = JobLease.objects.get(kind=VERSION_JOB, object_id=str(version.pk)).note
    assert note.startswith("Processing stopped: MongoDB was still finishing writes of a stopped run.")


def test_mongodb_too_busy_for_the_writes_is_retried_not_failed(
    sample_files, broker, monkeypatch, django_capture_on_commit_callbacks
):
    # given FerretDB's SQLite handler answering as it does when another writer held its lock too long
    version = _queued(sample_files, django_capture_on_commit_callbacks)

    def busy(**kwargs):
        message = "database is locked (5) (SQLITE_BUSY)"
        raise OperationFailure(message, code=1, details={"ok": 0, "errmsg": message, "code": 1})

    monkeypatch.setattr(processing, "records_persist", busy)

    assert version_process_task.apply(args=[str(version.pk)]).get() == "retrying"
    version.refresh_from_db()
    assert version.status == VersionStatus.QUEUED
    note = JobLease.objects.get(kind=VERSION_JOB, object_id=str(version.pk)).note
    assert note.startswith("Processing stopped: MongoDB was too busy to take the writes.")


def _due_now() -> None:
    JobLease.objects.update(available_at=timezone.now())
    OutboxMessage.objects.update(available_at=timezone.now())


def test_mongodb_unreachable_queues_the_version_again_and_the_retry_finishes_it(
    sample_files, broker, monkeypatch, django_capture_on_commit_callbacks
):
    version = _queued(sample_files, django_capture_on_commit_callbacks)
    _mongodb_down(monkeypatch)

    assert version_process_task.apply(args=[str(version.pk)]).get() == "retrying"

    version.refresh_from_db()
    assert version.status == VersionStatus.QUEUED
    assert not version.error
    lease = JobLease.objects.get(kind=VERSION_JOB, object_id=str(version.pk))
    assert lease.note == (
        "Processing stopped: MongoDB could not be reached. Retrying automatically in 2–4 s (attempt 2 of 4)."
    )

    monkeypatch.undo()
    monkeypatch.setattr("jobs.outbox.current_app", broker)
    monkeypatch.setattr("jobs.sweep.current_app", broker)
    _due_now()
    jobs_sweep()
    assert version_process_task.apply(args=[str(version.pk)]).get() == "completed"
    version.refresh_from_db()
    assert version.status == VersionStatus.DONE
    assert version_document_counts(version=version.records_key)["columns"] == 7
    assert list(JobRun.objects.values_list("outcome", flat=True)) == ["retrying", "completed"]


def test_mongodb_unreachable_on_the_last_attempt_fails_the_version_readably(
    sample_files, broker, monkeypatch, django_capture_on_commit_callbacks, settings
):
    version = _queued(sample_files, django_capture_on_commit_callbacks)
    _mongodb_down(monkeypatch)

    outcomes = []
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        _due_now()
        outcomes.append(version_process_task.apply(args=[str(version.pk)]).get())

    assert outcomes == ["retrying"] * (settings.JOB_MAX_ATTEMPTS - 1) + ["completed"]
    version.refresh_from_db()
    assert version.status == VersionStatus.FAILED
    assert "MongoDB could not be reached" in version.error
    assert version.summary_json  # the reports of a failed version are written


def _given_up_by_the_sweep(version: DatasetVersion, settings) -> DatasetVersion:
    """Every run of the version's job is lost (its worker stopped), until the sweep gives it up."""
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        _due_now()
        assert job_claim(kind=VERSION_JOB, object_id=str(version.pk)) is not None
        JobLease.objects.update(expires_at=timezone.now())
        jobs_sweep()
    version.refresh_from_db()
    return version


def _summary(version: DatasetVersion) -> dict:
    with version.summary_json.open("rb") as handle:
        return json.loads(handle.read())


def test_a_job_the_sweep_gives_up_fails_its_version_with_the_reason_and_both_reports(
    sample_files, broker, django_capture_on_commit_callbacks, settings
):
    version = _given_up_by_the_sweep(_queued(sample_files, django_capture_on_commit_callbacks), settings)

    assert version.status == VersionStatus.FAILED
    assert version.stage == "finished"
    assert version.error == GIVEN_UP
    summary = _summary(version)
    assert (summary["status"], summary["error"]) == ("failed", GIVEN_UP)
    # no run got as far as the engine's counts: the summary holds none
    assert summary["anomalies_total"] == 0
    assert {part["rows_read"] for part in summary["files"].values()} == {0}
    with version.anomalies_csv.open("rb") as handle:
        assert handle.read().decode("utf-8-sig").splitlines() == [
            "file,line,field,code,severity,value,message,fix,status"
        ]


def test_a_version_given_up_after_the_engine_ran_reports_its_counts_as_nothing_persisted(
    sample_files, broker, django_capture_on_commit_callbacks, settings
):
    # given a version whose engine returned in a run that then stopped while persisting
    version = _queued(sample_files, django_capture_on_commit_callbacks)
    result = processing.engine_run_on(version)
    DatasetVersion.objects.filter(pk=version.pk).update(counts=processing.file_counts(result), anomalies_total=3)

    # when the sweep gives its job up
    version = _given_up_by_the_sweep(version, settings)

    # then the summary counts what the engine read, none of it persisted, and lists no anomaly
    summary = _summary(version)
    assert (summary["status"], summary["error"]) == ("failed", GIVEN_UP)
    for file, part in result.files.items():
        assert summary["files"][file]["rows_read"] == part.rows_read > 0
        assert summary["files"][file]["rows_persisted"] == 0
        assert summary["files"][file]["rows_rejected"] == part.rows_read - part.rows_duplicate
    assert summary["anomalies_total"] == 0
    assert version.anomalies_total == 0
    assert version.counts["columns"]["rows_persisted"] == 0
    assert version.may_retry


def test_a_job_that_cannot_run_at_all_fails_its_version_with_the_reason_and_both_reports(
    sample_files, broker, monkeypatch, django_capture_on_commit_callbacks
):
    # given a version whose processing breaks before it can own its failure
    version = _queued(sample_files, django_capture_on_commit_callbacks)

    def broken_start(version_id):
        raise RuntimeError("the version row could not be read")

    monkeypatch.setattr(processing, "_start", broken_start)

    # when its task runs
    with pytest.raises(RuntimeError):
        version_process_task.apply(args=[str(version.pk)], throw=True).get()

    # then the version is failed with the reason, keeps nothing, and has both reports
    version.refresh_from_db()
    reason = "Processing could not run (RuntimeError: the version row could not be read)."
    assert version.status == VersionStatus.FAILED
    assert version.error.startswith(reason)
    assert not version.records_kept
    assert _summary(version)["status"] == "failed"
    assert _summary(version)["error"] == version.error
    assert version.anomalies_csv
