"""Celery tasks: load by id, run one service under the job's lease (`jobs.services.job_run`), own
the failed status. Every task acknowledges late and has the time limits of the settings."""

from celery import shared_task

from jobs.services import TransientJobError, job_run
from uploads.models import Dataset
from uploads.services import (
    DELETE_JOB,
    PROCESS_JOB,
    dataset_delete,
    dataset_delete_failed,
    dataset_fail,
    dataset_process,
)


@shared_task
def dataset_process_task(dataset_id: str) -> str:
    def work() -> None:
        try:
            dataset_process(dataset_id=dataset_id)
        except TransientJobError:
            raise  # the job runs again after a backoff
        except Exception as exc:
            dataset_fail(dataset_id=dataset_id, error=f"Processing could not run: {exc}")
            raise

    return job_run(kind=PROCESS_JOB, object_id=dataset_id, work=work)


@shared_task
def dataset_delete_task(dataset_id: str) -> str:
    def work() -> None:
        dataset = Dataset.objects.filter(pk=dataset_id).first()
        if dataset is None:
            return
        try:
            dataset_delete(dataset=dataset)
        except Exception as exc:
            dataset_delete_failed(dataset_id=dataset_id, exc=exc)

    return job_run(kind=DELETE_JOB, object_id=dataset_id, work=work)
