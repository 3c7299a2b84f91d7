"""The webhook delivery task: thin, under the job's lease (`jobs.runs.job_run`)."""

from celery import shared_task

from api.webhooks import DELIVERY_JOB, webhook_deliver
from jobs.runs import job_run


@shared_task
def webhook_deliver_task(delivery_id: str) -> str:
    return job_run(kind=DELIVERY_JOB, object_id=delivery_id, work=lambda: webhook_deliver(delivery_id=delivery_id))
