"""Celery tasks: load by id, run one service under the job's lease (`jobs.runs.job_run`), own
the failed status. Every task acknowledges late and has the time limits of the settings.

The web process imports this module to queue the tasks by name, so the jobs that use pandas (the
processing job, the status pages' rebuild) are imported in their task's body, in the worker only."""

import functools
from collections.abc import Callable

from celery import shared_task

from jobs.leases import TransientJobError
from jobs.runs import job_attempt, job_may_retry, job_run
from uploads.models import Dataset
from uploads.orphans import ORPHANS_JOB, orphans_sweep, orphans_sweep_request
from uploads.services import DELETE_JOB, VERSION_JOB, dataset_delete, dataset_delete_give_up
from uploads.triage import STATUSES_JOB, triage_lapses_follow


@shared_task
def version_process_task(version_id: str) -> str:
    from uploads.processing import version_fail, version_process

    def work() -> None:
        try:
            version_process(version_id=version_id)
        except TransientJobError:
            raise  # queued again after a backoff
        except Exception as exc:
            version_fail(object_id=version_id, reason=f"Processing could not run ({type(exc).__name__}: {exc}).")
            raise

    return job_run(kind=VERSION_JOB, object_id=version_id, work=work)


@shared_task
def dataset_delete_task(dataset_id: str) -> str:
    def work() -> None:
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None:
            return
        try:
            dataset_delete(dataset=dataset)
        except Exception as exc:
            # Deleting again is harmless: every error is worth another run, then the user may retry.
            if job_may_retry():
                raise TransientJobError(f"Deleting stopped ({type(exc).__name__}: {exc}).") from exc
            last = f"{type(exc).__name__}: {exc}"
            reason = f"Deleting stopped {job_attempt()} times (the last time: {last}), so it was given up."
            dataset_delete_give_up(object_id=dataset_id, reason=reason)
            raise

    return job_run(kind=DELETE_JOB, object_id=dataset_id, work=work)


def _run_again_on_any_error(what: str, work: Callable[[], object]) -> Callable[[], None]:
    """A job that is harmless to run again: any error is worth another run (after a backoff), up
    to the job's attempts."""

    def run() -> None:
        try:
            work()
        except Exception as exc:
            if job_may_retry():
                raise TransientJobError(f"{what} stopped ({type(exc).__name__}: {exc}).") from exc
            raise

    return run


@shared_task
def orphans_sweep_task(object_id: str) -> str:
    work = _run_again_on_any_error("The orphan sweep", orphans_sweep)
    return job_run(kind=ORPHANS_JOB, object_id=object_id, work=work)


@shared_task(name="uploads.orphans_sweep_request")
def orphans_sweep_request_task() -> bool:
    """Celery beat's entry (`CELERY_BEAT_SCHEDULE`): queues the sweep as a job."""
    return orphans_sweep_request()


@shared_task
def version_statuses_task(version_id: str) -> str:
    from uploads.status_pages import version_statuses_refresh

    work = _run_again_on_any_error(
        "Rebuilding the anomaly pages", functools.partial(version_statuses_refresh, version_id=version_id)
    )
    return job_run(kind=STATUSES_JOB, object_id=version_id, work=work)


@shared_task(name="uploads.triage_lapses_follow")
def triage_lapses_follow_task() -> int:
    """Celery beat's entry (`CELERY_BEAT_SCHEDULE`)."""
    return triage_lapses_follow()
