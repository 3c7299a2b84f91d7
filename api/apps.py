from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Webhook deliveries are jobs of the jobs app (outbox, lease, retries with backoff, sweep).
        from api import checks, tasks, webhooks  # noqa: F401  (checks: registers the deploy check)
        from jobs.registry import JobKind, job_kind_register
        from uploads.signals import version_finished

        job_kind_register(
            kind=JobKind(
                name=webhooks.DELIVERY_JOB,
                task_name=tasks.webhook_deliver_task.name,
                activity="delivering",
                give_up=webhooks.delivery_give_up,
                is_finished=webhooks.delivery_finished,
                existing=webhooks.deliveries_existing,
            )
        )
        version_finished.connect(webhooks.deliveries_for_version, dispatch_uid="api.webhooks")
