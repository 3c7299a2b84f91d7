"""The processing job of a version: a short sequence of named steps.

    start → run the engine → write the collections → compare with the current version
          → write the reports → finish (and publish when done)

One place owns failure (`version_process`): whatever a step raises, the version ends `failed`
with a readable message, its collections dropped, and both reports written whenever the
uploads could be read. The current version is never touched by a failed run, nor processed
again in place: pages read its collections (processing it again makes a new version, see
`uploads.services.version_process_again`).
"""

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import pandas as pd
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from catalog.persistence import DUPLICATE_KEY, anomalies_persist, browse_index_persist, records_persist
from engine import FILES, FileResult, Limits, PipelineResult, Progress, Vocabularies, pipeline_run
from engine.codes import anomalies_empty
from jobs.leases import TransientJobError
from jobs.outages import outage_service
from jobs.runs import job_heartbeat, job_may_retry
from reports.diff import diff_csv, diff_json, version_diff
from reports.services import reports_render
from reports.source import line_index_render
from uploads.anomaly_status import anomalies_accepted, anomalies_known, anomalies_status
from uploads.models import Dataset, DatasetVersion, VersionStage, VersionStatus
from uploads.services import version_publish, version_records_withdraw, version_state_reset
from uploads.signals import version_finished
from uploads.triage import version_statuses_follow

logger = logging.getLogger(__name__)

# Progress is written at most this often, so a large file does not hammer the database.
PROGRESS_INTERVAL_SECONDS = 0.5
# Where each stage starts and ends on the overall progress bar.
STAGE_SPANS = {
    VersionStage.READING: (0, 15),
    VersionStage.CHECKING: (15, 35),
    VersionStage.PERSISTING: (35, 65),
    VersionStage.INDEXING: (65, 93),
    VersionStage.COMPARING: (93, 97),
    VersionStage.REPORTING: (97, 100),
}

# `progress(stage, fraction, done=0, total=0)`: `engine.Progress`, with `done` of `total` units of the stage's work.


@dataclass(frozen=True)
class Outcome:
    status: str
    error: str = ""


def _version_update(version: DatasetVersion, **fields) -> None:
    for name, value in fields.items():
        setattr(version, name, value)
    DatasetVersion.objects.filter(pk=version.pk).update(**fields)


def _progress_reporter(version: DatasetVersion) -> Progress:
    last = {"at": 0.0, "stage": None}

    def report(stage: str, fraction: float, done: int = 0, total: int = 0) -> None:
        job_heartbeat(stage=stage, fraction=fraction)  # renews the job's lease; stops a run that lost it
        now = time.monotonic()
        if stage == last["stage"] and now - last["at"] < PROGRESS_INTERVAL_SECONDS and fraction < 1:
            return
        start, end = STAGE_SPANS[VersionStage(stage)]
        percent = int(start + (end - start) * max(0.0, min(1.0, fraction)))
        last.update(at=now, stage=stage)
        _version_update(
            version,
            stage=stage,
            percent=max(percent, version.percent),
            progress_done=min(done, total),
            progress_total=total,
        )

    return report


def file_counts(result: PipelineResult) -> dict:
    per_code = result.anomalies.groupby(["file", "code"]).size()
    return {
        file: {
            "rows_read": part.rows_read,
            "rows_persisted": part.rows_persisted,
            "rows_rejected": part.rows_rejected,
            "rows_duplicate": part.rows_duplicate,
            "rows_with_errors": part.rows_with_errors,
            "rows_unread": part.rows_unread,
            "anomalies": {code: int(count) for (f, code), count in per_code.items() if f == file},
        }
        for file, part in result.files.items()
    }


def _sources_with_dialects(version: DatasetVersion, result: PipelineResult) -> dict:
    return {file: {**(version.sources or {}).get(file, {}), **part.dialect} for file, part in result.files.items()}


def _late_writes(exc: Exception) -> bool:
    """Duplicate keys in collections this run dropped first: writes that a killed run had sent and
    the server finished after the drop (seen with a pool process killed mid-insert)."""
    if isinstance(exc, DuplicateKeyError):
        return True
    errors = exc.details.get("writeErrors") if isinstance(exc, BulkWriteError) else None
    return bool(errors) and all(error.get("code") == DUPLICATE_KEY for error in errors)


def _mongodb_busy(exc: Exception) -> bool:
    """The records' server could not take the write now: FerretDB's SQLite handler when another
    writer held its one lock past the busy timeout (`database is locked (5) (SQLITE_BUSY)`, seen
    forcing it, see docs/performance.md), or MongoDB's retryable write errors."""
    if not isinstance(exc, OperationFailure):
        return False
    if exc.has_error_label("RetryableWriteError") or exc.has_error_label("TransientTransactionError"):
        return True
    messages = [str(exc), *(str(error.get("errmsg", "")) for error in (exc.details or {}).get("writeErrors") or [])]
    return any("SQLITE_BUSY" in message or "database is locked" in message for message in messages)


def _transient(exc: Exception) -> bool:
    """MongoDB or storage unreachable or busy, or late writes of a stopped run: another run later
    may well succeed."""
    return outage_service(exc) in ("MongoDB", "storage") or _late_writes(exc) or _mongodb_busy(exc)


def _readable(exc: Exception) -> str:
    if _late_writes(exc):
        return "MongoDB was still finishing writes of a stopped run"
    if _mongodb_busy(exc):
        return "MongoDB was too busy to take the writes"
    service = outage_service(exc)
    if service == "MongoDB":
        return "MongoDB could not be reached"
    if service == "storage" and not isinstance(exc, OSError):  # a local disk's error says more itself
        return "the file storage could not be reached"
    if isinstance(exc, SoftTimeLimitExceeded):
        return "it took longer than the time limit"
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _nothing_persisted(result: PipelineResult) -> PipelineResult:
    """The counts of a version whose records were all withdrawn, as the spec counts a failed one."""
    files = {
        file: replace(part, rows_persisted=0, rows_rejected=part.rows_read - part.rows_duplicate)
        for file, part in result.files.items()
    }
    return replace(result, files=files)


def _uploads_read(version: DatasetVersion) -> dict[str, bytes]:
    uploads = {}
    for file in FILES:
        with getattr(version, file).open("rb") as handle:
            uploads[file] = handle.read()
    return uploads


def _line_indexes_write(version: DatasetVersion, uploads: dict[str, bytes]) -> None:
    """The line index of each upload, for the source-line view of this version's anomalies."""
    names = {}
    for file, data in uploads.items():
        field = DatasetVersion.line_index_field(file)
        version.file_write(field, line_index_render(data))
        names[field] = getattr(version, field).name
    _version_update(version, **names)


def engine_run_on(
    version: DatasetVersion, progress: Progress | None = None, uploads: dict[str, bytes] | None = None
) -> PipelineResult:
    """Runs the engine on the version's stored files (also used to compare with an older version)."""
    uploads = uploads if uploads is not None else _uploads_read(version)
    return pipeline_run(
        files=uploads,
        vocabularies=Vocabularies.from_settings(settings.DATASET_VOCABULARIES),
        limits=Limits.from_settings(settings.DATASET_LIMITS),
        progress=progress,
    )


def _retry_later(version: DatasetVersion, exc: Exception) -> None:
    """Within a job that may run again, an unreachable MongoDB or storage puts the version back in
    the queue (its next run starts by dropping what this one wrote) instead of failing it."""
    if _transient(exc) and job_may_retry():
        logger.warning("version %s: %s; retried later", version.pk, _readable(exc))
        version_state_reset(version=version)
        raise TransientJobError(f"Processing stopped: {_readable(exc)}.") from exc


# --- the steps ---


def _is_current(version: DatasetVersion) -> bool:
    return version.dataset.current_version_id == version.pk


def _start(version_id: str) -> tuple[DatasetVersion | None, bool]:
    """The version, marked processing (None for the current version, which is never processed
    again in place); and whether an earlier run of it was stopped (its collections are dropped
    first, though a killed run's last writes may still land)."""
    version = DatasetVersion.objects.select_related("dataset").get(pk=version_id)
    if _is_current(version):
        logger.warning("version %s is current: it is not processed again in place", version.pk)
        return None, False
    rerun = version.started_at is not None or version.records_kept
    if rerun:
        # Attempted before (a failed version processed again, or a task redelivered after a
        # worker died): start from empty collections, so nothing is doubled and nothing partial stays.
        try:
            version_records_withdraw(version=version)
        except Exception as exc:
            _retry_later(version, exc)
            raise
    _version_update(
        version,
        status=VersionStatus.PROCESSING,
        stage=VersionStage.READING,
        percent=0,
        progress_done=0,
        progress_total=0,
        error="",
        started_at=timezone.now(),
        finished_at=None,
        records_kept=False,
    )
    return version, rerun


@contextmanager
def _alongside(work: Callable[[threading.Event], None]) -> Iterator[Callable[[], bool]]:
    """Runs `work(stop)` on a thread of its own while the block runs, and waits for it after the
    block. The block gets `running()`, which raises the thread's error as soon as there is one.
    When the block raises, `stop` is set and the thread (which checks it between batches) is
    waited for before the error goes on: nothing is left writing behind a failed step."""
    stop, errors = threading.Event(), []

    def run() -> None:
        try:
            work(stop)
        except BaseException as exc:  # handed to the block's thread, which owns failure
            errors.append(exc)

    thread = threading.Thread(target=run, name="records-writer", daemon=True)

    def running() -> bool:
        if errors:
            raise errors[0]
        return thread.is_alive()

    thread.start()
    try:
        yield running
    except BaseException:
        stop.set()
        thread.join()
        raise
    thread.join()
    running()


class _Stopped(Exception):
    """The records writer was told to stop (the step that started it failed)."""


def _collections_write(version: DatasetVersion, result: PipelineResult, progress: Progress, rewrite: bool) -> None:
    """Records (unless the engine failed the version), anomalies and the browse index (`rewrite`:
    a stopped run of this version may still be landing its last writes, see `catalog.persistence`).

    The records are written on a thread of their own while this one builds and writes the browse
    index: the MongoDB server's inserts and Python's building each keep one core busy, so together
    they take about as long as the longer of the two (docs/performance.md)."""
    records = {file: part.records for file, part in result.files.items()}
    key = version.records_key
    _version_update(version, records_kept=True)  # from here on, a failure must drop them
    total = 0 if result.failed else sum(len(frame) for frame in records.values())
    written = {"records": 0, "index": 0, "expected": 1}

    def write_records(stop: threading.Event) -> None:
        def counted(done: int, _total: int) -> None:  # on the writer thread: no database call here
            written["records"] = done
            if stop.is_set():
                raise _Stopped

        if total:
            records_persist(version=key, records=records, progress=counted, rewrite=rewrite)

    def report(running: Callable[[], bool]) -> None:
        running()  # raises the writer's error, if any
        if written["records"] < total:
            progress(VersionStage.PERSISTING, written["records"] / total, written["records"], total)
            return
        if not written.get("records_reported"):  # the saving stage ends on all of its records
            progress(VersionStage.PERSISTING, 1, total, total)
            progress(VersionStage.INDEXING, 0)
            written["records_reported"] = True
        done, expected = written["index"], written["expected"]
        progress(VersionStage.INDEXING, done / max(expected, 1), done, expected)

    progress(VersionStage.PERSISTING, 0, 0, total)
    with _alongside(write_records) as running:

        def index_written(done: int, expected: int) -> None:
            written.update(index=done, expected=expected)
            report(running)

        anomalies_persist(version=key, anomalies=result.anomalies, rewrite=rewrite)
        browse_index_persist(
            version=key, records=records, anomalies=result.anomalies, progress=index_written, rewrite=rewrite
        )
        while running():
            report(running)
            time.sleep(PROGRESS_INTERVAL_SECONDS)
        report(running)


def changes_write(
    *, version: DatasetVersion, result: PipelineResult, previous: DatasetVersion, previous_result: PipelineResult
) -> None:
    """Stores the comparison of `version` with `previous` as the version's diff reports."""
    diff = version_diff(before=previous_result, after=result)
    version.file_write("diff_json", diff_json(diff))
    version.file_write("diff_csv", diff_csv(diff))
    version.compared_to = previous
    DatasetVersion.objects.filter(pk=version.pk).update(
        diff_json=version.diff_json.name, diff_csv=version.diff_csv.name, compared_to=previous
    )


def _compare(version: DatasetVersion, result: PipelineResult, progress: Progress) -> None:
    """What changed against the version that is current now (none for a first version, and none
    for a failed one: it keeps no records, so every record would show as removed)."""
    progress(VersionStage.COMPARING, 0)
    current = version.dataset.current_version
    if current is None or current.pk == version.pk or result.failed:
        return
    try:
        changes_write(version=version, result=result, previous=current, previous_result=engine_run_on(current))
    except Exception:
        # The comparison is a view of two versions, not part of this one: without it the version
        # is still whole (its page then says there is nothing to compare with).
        logger.exception("version %s could not be compared with version %s", version.pk, current.pk)


def _failed(version: DatasetVersion, exc: Exception, result: PipelineResult | None) -> tuple[Outcome, PipelineResult]:
    logger.exception("version %s failed", version.pk)
    error = f"Processing stopped unexpectedly ({_readable(exc)}). Nothing was saved; process the version again."
    if result is not None:
        result = _nothing_persisted(result)
        _version_update(version, counts=file_counts(result))
    try:
        version_records_withdraw(version=version)
    except Exception:
        logger.exception("collections of version %s could not be dropped", version.pk)
        error = (
            f"Processing stopped unexpectedly ({_readable(exc)}), and what was already "
            "saved could not be removed; process the version again once the database is back."
        )
    return Outcome(VersionStatus.FAILED, error), result


def _reports_write(version: DatasetVersion, result: PipelineResult | None, outcome: Outcome) -> Outcome:
    """Both reports into the version's FileFields; a failure here fails the version too."""
    try:
        rendered = reports_render(
            dataset_id=str(version.dataset_id),
            name=version.dataset.name,
            status=str(outcome.status),
            error=outcome.error or None,
            result=result,
            started_at=version.started_at,
            finished_at=timezone.now(),
        )
        version.file_write("anomalies_csv", rendered.anomalies_csv)
        version.file_write("summary_json", rendered.summary_json)
        _version_update(version, anomalies_csv=version.anomalies_csv.name, summary_json=version.summary_json.name)
        return outcome
    except Exception as exc:
        logger.exception("reports of version %s could not be written", version.pk)
        _retry_later(version, exc)
        return Outcome(VersionStatus.FAILED, f"{outcome.error} The reports could not be written ({exc}).".strip())


def _finish(version: DatasetVersion, outcome: Outcome) -> None:
    # One transaction: whoever sees the version done also sees it published (and the older
    # versions' collections dropped by retention).
    with transaction.atomic():
        _version_update(
            version,
            status=outcome.status,
            error=outcome.error,
            stage=VersionStage.FINISHED,
            percent=100,
            progress_done=0,
            progress_total=0,
            finished_at=timezone.now(),
        )
        if outcome.status == VersionStatus.DONE and version_publish(version=version):
            version_statuses_follow(version=version)
        # A receiver that fails is logged and leaves the version finished (`send_robust`).
        version_finished.send_robust(sender=DatasetVersion, version=version)


def version_process(*, version_id: str) -> DatasetVersion:
    """Runs the whole spec on a version's files and publishes it when it is done."""
    version, rerun = _start(version_id)
    if version is None:
        return DatasetVersion.objects.get(pk=version_id)
    progress = _progress_reporter(version)
    result: PipelineResult | None = None
    try:
        uploads = _uploads_read(version)
        _line_indexes_write(version, uploads)
        result = engine_run_on(version, progress, uploads)
        # Read before the decisions are: one made meanwhile is a later revision, rebuilt once published.
        triage_revision = Dataset.objects.values_list("triage_revision", flat=True).get(pk=version.dataset_id)
        anomalies = result.anomalies
        anomalies["known"] = anomalies_known(version=version, anomalies=anomalies)
        today = timezone.localdate()
        accepted = anomalies_accepted(dataset_id=version.dataset_id, anomalies=anomalies, today=today)
        anomalies["status"] = anomalies_status(known=anomalies["known"].to_numpy(), accepted=accepted)
        _version_update(
            version,
            statuses_revision=triage_revision,
            statuses_rebuilt=False,
            statuses_on=today,
            counts=file_counts(result),
            anomalies_total=len(result.anomalies),
            sources=_sources_with_dialects(version, result),
        )
        _collections_write(version, result, progress, rewrite=rerun)
        _compare(version, result, progress)
        progress(VersionStage.REPORTING, 0)
        outcome = Outcome(VersionStatus.FAILED, result.error or "") if result.failed else Outcome(VersionStatus.DONE)
    except Exception as exc:
        _retry_later(version, exc)
        outcome, result = _failed(version, exc, result)
    outcome = _reports_write(version, result, outcome)
    if outcome.status == VersionStatus.FAILED and version.records_kept and not (result and result.failed):
        # The reports failed after the collections were written: withdraw them as well.
        version_records_withdraw(version=version)
    _finish(version, outcome)
    return version


def _result_of_counts(counts: dict) -> PipelineResult | None:
    """The counts of nothing persisted, from those an earlier run stored once the engine had
    returned; None when no run got that far. Its anomalies are not known any more (they were in
    the dropped collections), so none is listed or counted."""
    if not counts or set(counts) != set(FILES):
        return None
    files = {
        file: FileResult(
            name=file,
            records=pd.DataFrame(),
            rows_read=part.get("rows_read", 0),
            rows_duplicate=part.get("rows_duplicate", 0),
            rows_with_errors=part.get("rows_with_errors", 0),
            rows_unread=part.get("rows_unread", 0),
        )
        for file, part in counts.items()
    }
    return _nothing_persisted(PipelineResult(failed=True, error=None, anomalies=anomalies_empty(), files=files))


def version_fail(*, object_id: str, reason: str) -> None:
    """A version whose job could not run, or stopped too many times, fails: it keeps no collection
    and gets both reports, like any failed version.

    This runs outside `version_process` (in the task's last resort, or in the sweep), so it does
    not run the engine again (that may be what stopped the workers, and it may take minutes): the
    summary holds the counts an earlier run got from the engine, as nothing persisted, or none."""
    version = DatasetVersion.objects.select_related("dataset").filter(pk=object_id).first()
    if version is None or _is_current(version):
        return  # gone, or done and published: pages read it, it stays as it is
    error = f"{reason} Nothing was saved; process the version again."
    try:
        version_records_withdraw(version=version)
    except Exception:
        logger.exception("collections of version %s could not be dropped", object_id)
        error = f"{reason} What was saved could not be removed; process the version again once the database is back."
    result = _result_of_counts(version.counts)
    if result is not None:
        _version_update(version, counts=file_counts(result), anomalies_total=0)
    _finish(version, _reports_write(version, result, Outcome(VersionStatus.FAILED, error)))


def version_job_finished(*, object_id: str) -> bool:
    return (
        DatasetVersion.objects.filter(pk=object_id, status__in=(VersionStatus.DONE, VersionStatus.FAILED)).exists()
        or not DatasetVersion.objects.filter(pk=object_id).exists()
    )
