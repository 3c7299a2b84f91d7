"""Celery tasks: load by id, call one service, own the failed status."""

from celery import shared_task

from uploads.models import Dataset
from uploads.processing import version_fail, version_process
from uploads.services import dataset_delete


@shared_task(bind=True, acks_late=True, max_retries=0)
def version_process_task(self, version_id: str) -> str:
    try:
        return str(version_process(version_id=version_id).status)
    except Exception as exc:
        version_fail(version_id=version_id, error=f"Processing could not run: {exc}")
        raise


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30)
def dataset_delete_task(dataset_id: str) -> None:
    dataset = Dataset.objects.filter(pk=dataset_id).first()
    if dataset is not None:
        dataset_delete(dataset=dataset)
