from importlib import import_module

from django.apps import AppConfig


def _worker_side(module: str, name: str):
    """A job's callback from a module that loads pandas (the processing job), imported when the
    sweep first calls it: the web process never imports them
    (docs/production.md)."""

    def call(**kwargs):
        return getattr(import_module(module), name)(**kwargs)

    call.__name__ = call.__qualname__ = name
    return call


class UploadsConfig(AppConfig):
    name = "uploads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The jobs app runs the dataset's jobs by task name and calls back here; it imports nothing of uploads.
        from jobs.registry import JobKind, job_kind_register
        from uploads import orphans, services, tasks, triage

        job_kind_register(
            kind=JobKind(
                name=services.VERSION_JOB,
                task_name=tasks.version_process_task.name,
                activity="processing",
                give_up=_worker_side("uploads.processing", "version_fail"),
                is_finished=_worker_side("uploads.processing", "version_job_finished"),
                existing=services.versions_existing,
            )
        )
        job_kind_register(
            kind=JobKind(
                name=services.DELETE_JOB,
                task_name=tasks.dataset_delete_task.name,
                activity="deleting",
                give_up=services.dataset_delete_give_up,
                is_finished=services.dataset_delete_finished,
                existing=services.datasets_existing,
            )
        )
        job_kind_register(
            kind=JobKind(
                name=orphans.ORPHANS_JOB,
                task_name=tasks.orphans_sweep_task.name,
                activity="sweeping orphans",
                give_up=orphans.orphans_job_give_up,
                is_finished=orphans.orphans_job_finished,
                existing=orphans.orphans_job_existing,
            )
        )
        job_kind_register(
            kind=JobKind(
                name=triage.STATUSES_JOB,
                task_name=tasks.version_statuses_task.name,
                activity="applying a triage decision",
                give_up=triage.version_statuses_give_up,
                is_finished=triage.version_statuses_finished,
                existing=services.versions_existing,
            )
        )
