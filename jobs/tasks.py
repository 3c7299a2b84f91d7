"""The periodic sweep (Celery beat, `CELERY_BEAT_SCHEDULE`)."""

from celery import shared_task

from jobs.sweep import jobs_sweep


@shared_task(name="jobs.sweep")
def jobs_sweep_task() -> dict[str, int]:
    return jobs_sweep()
