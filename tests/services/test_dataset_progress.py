"""What the pages say about a version's processing: stages, counts of work, queue, files."""

import pytest

from tests.factories import upload_files
from uploads import processing
from uploads.models import DatasetVersion, VersionStage, VersionStatus
from uploads.processing import version_process
from uploads.selectors import version_file_rows, version_progress, version_queue_position
from uploads.services import dataset_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _create(files: dict[str, bytes], name: str = "Sample") -> DatasetVersion:
    return dataset_create(name=name, owner=None, files=upload_files(files, prefix="my "), enqueue=False)


def _processed(version: DatasetVersion) -> DatasetVersion:
    version_process(version_id=str(version.pk))
    return DatasetVersion.objects.get(pk=version.pk)


def test_every_stage_is_reported_with_its_work_and_the_bar_never_holds(sample_files, monkeypatch):
    updates: list[dict] = []
    real_update = processing._version_update

    def recording_update(version, **fields):
        updates.append(fields)
        real_update(version, **fields)

    monkeypatch.setattr(processing, "_version_update", recording_update)
    monkeypatch.setattr(processing, "PROGRESS_INTERVAL_SECONDS", 0)

    _processed(_create(sample_files))

    stages = list(dict.fromkeys(u["stage"] for u in updates if "stage" in u))
    assert stages == ["reading", "checking", "persisting", "indexing", "comparing", "reporting", "finished"]
    saving = [u for u in updates if u.get("stage") == VersionStage.PERSISTING and u.get("progress_total")]
    assert saving[-1]["progress_done"] == saving[-1]["progress_total"] == 3 + 5 + 7
    indexing = [u for u in updates if u.get("stage") == VersionStage.INDEXING]
    # the index write moves the bar from where saving ended to where the comparison starts
    assert indexing[0]["percent"] <= 65
    assert indexing[-1]["percent"] >= 92
    assert indexing[-1]["progress_done"] == indexing[-1]["progress_total"] > 0
    percents = [u["percent"] for u in updates if "percent" in u][1:]
    assert percents == sorted(percents)


def test_the_overview_knows_each_file_and_how_it_was_written(sample_files):
    files = {**sample_files, "namespaces": sample_files["namespaces"].replace(b"\n", b"\r\n")}
    version = _processed(_create(files))

    namespaces = version.sources["namespaces"]
    assert namespaces["name"] == "my namespaces.csv"
    assert namespaces["size"] == len(files["namespaces"])
    assert (namespaces["delimiter"], namespaces["encoding"], namespaces["line_ends"]) == ("comma", "UTF-8", "CRLF")
    rows = {row["file"]: row for row in version_file_rows(version=version)}
    assert (rows["columns"]["read"], rows["columns"]["saved"], rows["columns"]["with_errors"]) == (10, 7, 2)
    assert version_progress(version=version)["detail"].startswith("Finished")


def test_a_failed_dataset_does_not_call_healthy_records_rejected(sample_files):
    broken = b"data_point_id,data_point_nam,data_type\nDP1,One,string\nDP2,Two,string\n"
    version = _processed(_create({**sample_files, "datapoints": broken}))

    assert version.status == VersionStatus.FAILED
    rows = {row["file"]: row for row in version_file_rows(version=version)}
    assert rows["datapoints"]["unread"] == 2  # not "0 rows read"
    columns = rows["columns"]
    assert columns["with_errors"] < columns["read"]
    assert columns["not_saved"] == columns["read"] - columns["with_errors"] - columns["duplicates"] > 0
    assert version_progress(version=version)["detail"].startswith("Failed")


def test_a_queued_dataset_knows_how_many_wait_before_it(sample_files):
    first, second, third = (_create(sample_files, name=str(i)) for i in range(3))
    DatasetVersion.objects.filter(pk=first.pk).update(status=VersionStatus.PROCESSING, stage=VersionStage.PERSISTING)

    assert version_queue_position(version=third) == (1, 1)
    assert version_progress(version=third)["detail"] == "Waiting in the queue: 1 upload ahead; 1 being processed now."
    assert version_progress(version=second)["detail"].startswith("Waiting in the queue: next in line")
    first.refresh_from_db()
    first.progress_done, first.progress_total = 1234, 5000
    assert version_progress(version=first)["detail"] == "Saving the records: 1,234 of 5,000 records."
