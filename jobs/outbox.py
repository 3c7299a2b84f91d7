"""Queueing through an outbox: a job and its message are written in the caller's transaction; the
message leaves when the transaction commits, or at the next sweep if the broker cannot take it then.
"""

import logging

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import JobLease, LeaseState, OutboxMessage
from jobs.registry import job_kind_get

logger = logging.getLogger(__name__)

# A message the broker cannot take within about two seconds stays in the outbox for the sweep,
# so that a request never hangs on a stopped Redis.
SEND_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Messages sent per flush (a sweep).
FLUSH_BATCH = 200


def error_text(exc: BaseException) -> str:
    """An exception in one short line, for a note or the outbox's last error."""
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def job_enqueue(*, kind: str, object_id: str, requested: bool = True) -> None:
    """Queues a job within the caller's transaction.

    `requested`: a person asked for it (upload, process again, delete), so earlier attempts and
    notes are forgotten."""
    job = job_kind_get(name=kind)
    now = timezone.now()
    fields = {
        "state": LeaseState.QUEUED,
        "owner": "",
        "token": "",
        "expires_at": None,
        "heartbeat_at": None,
        "available_at": now,
    }
    if requested:
        fields.update(attempts=0, note="")
    lease, _ = JobLease.objects.update_or_create(kind=kind, object_id=str(object_id), defaults=fields)
    message = OutboxMessage.objects.create(
        lease=lease, task_name=job.task_name, args=[str(object_id)], available_at=now
    )
    transaction.on_commit(lambda: outbox_send(message_id=message.pk))


def job_request(*, kind: str, object_id: str) -> bool:
    """Queues the job unless it is queued or running already: for a job asked for on a schedule,
    whose last run may still go on (queueing it again would take that run's lease). True when queued."""
    with transaction.atomic():
        pending = JobLease.objects.filter(
            kind=kind, object_id=str(object_id), state__in=(LeaseState.QUEUED, LeaseState.RUNNING)
        )
        if pending.exists():
            return False
        job_enqueue(kind=kind, object_id=object_id)
    return True


def outbox_send(*, message_id: int) -> bool:
    """Hands one message to the broker; False (and the message kept for the sweep) if it cannot."""
    message = OutboxMessage.objects.filter(pk=message_id).first()
    return True if message is None else _send(message)


def _send(message: OutboxMessage) -> bool:
    try:
        current_app.send_task(
            message.task_name, args=message.args, ignore_result=True, retry=True, retry_policy=SEND_RETRY_POLICY
        )
    except Exception as exc:
        logger.warning("message %s kept in the outbox: the broker refused it (%s)", message, error_text(exc))
        OutboxMessage.objects.filter(pk=message.pk).update(
            send_attempts=F("send_attempts") + 1, last_error=error_text(exc)
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).delete()
    return True


def outbox_flush(*, limit: int = FLUSH_BATCH) -> int:
    """Sends the messages that are due; stops at the first refusal (the broker is down)."""
    sent = 0
    for message in OutboxMessage.objects.filter(available_at__lte=timezone.now())[:limit]:
        if not _send(message):
            break
        sent += 1
    return sent
