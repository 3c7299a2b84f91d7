"""Processing the current version again, deleting and sweeping orphans, on real worker processes.

- "Process again" on the current version makes a new version from the same stored files: killed
  four times (then given up), the current version's records stay whole; and the pages that read
  them answer the same throughout a run.
- A delete (here from the Django admin) during processing is refused with the reason; asked
  again once the run is over, it leaves no collection and no file; the orphan sweep, run by the
  worker as a job, removes planted orphans.
Workers are paused at a named step and SIGKILLed there, as in `test_faults.py`.
"""

import re
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from catalog.mongo import version_collection, version_collections_stored, version_document_counts
from jobs.models import JobLease, JobRun, RunOutcome
from tests.e2e import test_faults
from tests.e2e.test_faults import RECOVERY_LIMIT, _final, _paused_pid, _wait_for
from tests.factories import upload_files
from uploads.models import STORAGE_ROOT, Dataset, DatasetVersion, VersionStatus
from uploads.orphans import ORPHANS_JOB, ORPHANS_OBJECT, orphans_sweep_request, storage_files
from uploads.processing import version_process
from uploads.services import VERSION_JOB, dataset_create, version_process_again

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

# The worker processes and the larger sample of the fault tests.
celery_processes = test_faults.celery_processes
larger_sample = test_faults.larger_sample

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _processed(files: dict[str, bytes], name: str) -> DatasetVersion:
    """Version 1, processed in this process (a paused worker would pause on it too) and current."""
    version = dataset_create(name=name, owner=None, files=upload_files(files), enqueue=False)
    return version_process(version_id=str(version.pk))


def _stored(dataset_id) -> list[str]:
    """Every file stored under the dataset's folder."""
    return sorted(storage_files(default_storage, f"{STORAGE_ROOT}/{dataset_id}"))


def _pages(dataset: Dataset, version: DatasetVersion) -> list[str]:
    namespace = version_collection(version=version.records_key, kind="namespaces").find_one({})
    namespace_id, word = namespace["_id"], namespace["namespace_option_name"].split()[0]
    base = f"/datasets/{dataset.pk}"
    return [
        f"{base}/browse/",
        f"{base}/browse/?namespace={namespace_id}",
        f"{base}/search/?q={word}",
        f"{base}/export.json?namespace={namespace_id}",
        f"{base}/search/export.json?q={word}",
        f"{base}/anomalies/",
        f"{base}/anomalies.csv",
        f"{base}/summary.json",
    ]


def _read(client, url: str) -> tuple[int, bytes]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, CSRF.sub(b"", body)


@pytest.fixture
def steward(client):
    client.force_login(get_user_model().objects.create_superuser(username="steward", password="pw-for-tests-only"))
    return client


# --- Process again on the current version -----------------------------------------------------


def test_a_rerun_of_the_current_version_killed_four_times_leaves_the_current_records_whole(
    larger_sample, celery_processes, tmp_path, steward
):
    # given version 1, current, and a worker that pauses every run at the records
    v1 = _processed(larger_sample, "Killed re-run")
    records = version_document_counts(version=v1.records_key)
    pages = _pages(v1.dataset, v1)
    before = {url: _read(steward, url) for url in pages}
    assert all(status == 200 for status, _ in before.values())
    pause = {"FAULT_PAUSE_AT": "persisting:0.05", "FAULT_PAUSE_DIR": str(tmp_path)}
    celery_processes("beat")
    worker = celery_processes("worker", pause)

    # when it is processed again and each run is SIGKILLed half-way through its records
    v2 = version_process_again(version=v1, requested_by=None)
    assert v2.number == 2
    kills = []
    for kill in range(settings.JOB_MAX_ATTEMPTS):
        _paused_pid(tmp_path, str(v2.pk), "persisting")
        written = version_document_counts(version=v2.records_key)
        assert any(written.values())  # the new run was writing its own collections
        assert version_document_counts(version=v1.records_key) == records
        worker.kill()
        kills.append(written)
        (tmp_path / f"{v2.pk}-persisting.paused").unlink()  # the next run pauses there too
        worker = celery_processes("worker", pause if kill + 1 < settings.JOB_MAX_ATTEMPTS else {})

    # then the new version is given up, failed, with nothing kept; version 1 stays current and whole
    final = _wait_for(lambda: _final(str(v2.pk)), RECOVERY_LIMIT, "version 2 given up")
    assert final.status == VersionStatus.FAILED
    assert "stopped 4 times" in final.error
    runs = JobRun.objects.filter(lease__kind=VERSION_JOB, lease__object_id=str(v2.pk))
    assert list(runs.values_list("outcome", flat=True)) == [RunOutcome.LOST] * settings.JOB_MAX_ATTEMPTS
    assert Dataset.objects.get(pk=v1.dataset_id).current_version_id == v1.pk
    assert version_document_counts(version=v1.records_key) == records
    assert not any(version_document_counts(version=v2.records_key).values())
    assert {url: _read(steward, url) for url in pages} == before
    print(f"\nfigures: 4 kills at persisting; records of version 1 {records}; of version 2 when killed {kills}")


@pytest.mark.parametrize("stage", ["persisting:0.05", "indexing:0.5"])
def test_pages_polled_throughout_a_rerun_answer_200_with_the_same_content(
    stage, larger_sample, celery_processes, tmp_path, steward
):
    # given version 1, current, its pages read once, and a worker that pauses the re-run mid-write
    v1 = _processed(larger_sample, "Polled re-run")
    pages = _pages(v1.dataset, v1)
    started = time.monotonic()
    before = {url: _read(steward, url) for url in pages}
    reading = time.monotonic() - started  # reported, not asserted
    assert all(status == 200 for status, _ in before.values()), before
    celery_processes("worker", {"FAULT_PAUSE_AT": stage, "FAULT_PAUSE_DIR": str(tmp_path)})
    celery_processes("beat")

    # when version 1 is processed again, the pages are polled from the request until the run is over
    v2 = version_process_again(version=v1, requested_by=None)
    polls, failures, after_publish, slowest = 0, [], 0, [0.0]
    current = Dataset.objects.filter(pk=v1.dataset_id).values_list("current_version_id", flat=True)

    def poll() -> None:
        """One read of every page. While version 1 is current (still so after the round), each
        answer is the first one byte for byte; once version 2 took over, each is a 200 and the
        exports (the records themselves) are the same; the pages then name version 2."""
        nonlocal polls, after_publish
        answers = {}
        for url in pages:
            started = time.monotonic()
            answers[url] = _read(steward, url)
            slowest[0] = max(slowest[0], time.monotonic() - started)  # reported, not asserted
        polls += len(pages)
        published = current.get() != v1.pk
        after_publish += published
        for url, (status, body) in answers.items():
            same = (status, body) == before[url] or (published and status == 200 and "export.json" not in url)
            if not same:
                failures.append((url, status, published, body[:300]))

    def paused() -> bool:
        poll()
        return (tmp_path / f"{v2.pk}-{stage.partition(':')[0]}.paused").exists()

    _wait_for(paused, 90, f"the re-run paused at {stage}")
    assert any(version_document_counts(version=v2.records_key).values())
    for _ in range(3):
        poll()  # while the new collections are half written
    (tmp_path / f"{v2.pk}-{stage.partition(':')[0]}.resume").touch()
    started = time.monotonic()
    while not _final(str(v2.pk)):
        assert time.monotonic() - started < RECOVERY_LIMIT
        poll()
    poll()
    final = DatasetVersion.objects.get(pk=v2.pk)

    # then no answer failed or changed, and version 2, done, took over with the same records
    assert failures == []
    assert final.status == VersionStatus.DONE, final.error
    assert current.get() == v2.pk
    assert after_publish >= 1
    assert version_document_counts(version=v2.records_key) == version_document_counts(version=v1.records_key)
    print(
        f"\nfigures: {polls} page reads during the re-run paused at {stage}, {len(failures)} failed or differed, "
        f"slowest {slowest[0] * 1000:.0f} ms (all {len(pages)} pages read in {reading * 1000:.0f} ms before the run)"
    )


# --- Deleting, and the orphan sweep -----------------------------------------------------------


def test_an_admin_delete_during_processing_is_refused_then_leaves_no_collection_or_file(
    larger_sample, celery_processes, tmp_path, steward
):
    # given a dataset whose version 2 is being processed (paused half-way through its records)
    v1 = _processed(larger_sample, "Admin delete")
    dataset = v1.dataset
    celery_processes("worker", {"FAULT_PAUSE_AT": "persisting:0.05", "FAULT_PAUSE_DIR": str(tmp_path)})
    celery_processes("beat")
    v2 = version_process_again(version=v1, requested_by=None)
    _paused_pid(tmp_path, str(v2.pk), "persisting")

    # when the admin deletes the dataset then: refused, with the reason, and nothing removed
    response = steward.post(f"/admin/uploads/dataset/{dataset.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "still being processed" in response.content.decode()
    assert not Dataset.objects.get(pk=dataset.pk).deleting

    # and once the run is over, asked again: the worker removes every collection and file
    (tmp_path / f"{v2.pk}-persisting.resume").touch()
    _wait_for(lambda: _final(str(v2.pk)), RECOVERY_LIMIT, "version 2 processed")
    keys = [v1.records_key, v2.records_key]
    collections, files = len(set(keys) & set(version_collections_stored())), len(_stored(dataset.pk))
    assert collections == 2
    assert files
    response = steward.post(f"/admin/uploads/dataset/{dataset.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200
    assert "is being deleted" in response.content.decode()
    _wait_for(lambda: not Dataset.objects.filter(pk=dataset.pk).exists(), RECOVERY_LIMIT, "the deletion")
    assert not set(keys) & set(version_collections_stored())
    assert _stored(dataset.pk) == []
    removed = f"{collections} versions' collections and {files} files removed, 0 left"
    print(f"\nfigures: admin delete refused during processing; after it, {removed}")


def test_the_orphan_sweep_job_removes_planted_orphans(celery_processes):
    # given orphans as a killed run or a lost request leaves them: collections and files of no version
    # (the worker reads ORPHANS_MIN_AGE_SECONDS from its environment)
    keys = [f"{n:032x}" for n in range(1, 4)]
    for key in keys:
        for kind in ("columns", "browse_nodes"):
            version_collection(version=key, kind=kind).insert_one({"_id": "planted"})
    folder = f"{STORAGE_ROOT}/00000000-0000-0000-0000-000000000001/versions/00000000-0000-0000-0000-000000000002"
    names = [default_storage.save(f"{folder}/{name}", ContentFile(b"x")) for name in ("uploads/a.csv", "reports/b")]
    celery_processes("worker", {"ORPHANS_MIN_AGE_SECONDS": "0"})

    # when the sweep is asked for (as beat does)
    assert orphans_sweep_request()

    # then the worker runs it as a job, once, and they are gone
    lease = JobLease.objects.filter(kind=ORPHANS_JOB, object_id=ORPHANS_OBJECT)
    _wait_for(lambda: lease.get().state == "finished", RECOVERY_LIMIT, "the orphan sweep")
    assert list(JobRun.objects.filter(lease__kind=ORPHANS_JOB).values_list("outcome", flat=True)) == ["completed"]
    assert not set(keys) & set(version_collections_stored())
    assert not any(default_storage.exists(name) for name in names)
