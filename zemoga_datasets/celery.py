"""The Celery application; tasks are discovered in the Django apps."""

import os
from importlib import import_module

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.production")

app = Celery("zemoga_datasets")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def processing_preload(**kwargs) -> None:
    """The worker loads the processing job (the engine, pandas) once, before its pool forks, so that
    its processes share it; the web process, which imports this app too, never does (the tasks
    import it in their bodies: docs/production.md, "A web tier without pandas")."""
    import_module("uploads.processing")
