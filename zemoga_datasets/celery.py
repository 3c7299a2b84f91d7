"""The Celery application; tasks are discovered in the Django apps."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.production")

app = Celery("zemoga_datasets")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
