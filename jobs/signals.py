"""A worker that (re)starts sweeps at once: the jobs of the worker it replaces restart in seconds."""

import logging

from celery import current_app
from celery.signals import worker_ready

logger = logging.getLogger(__name__)


@worker_ready.connect
def sweep_on_worker_ready(**_) -> None:
    try:
        current_app.send_task("jobs.sweep")
    except Exception:
        logger.warning("the start-up sweep could not be queued; beat will run it")
