"""The sweep (Celery beat): re-queues the jobs of a worker that stopped, up to `JOB_MAX_ATTEMPTS`
runs, then gives them up through their kind's callback; re-sends messages the broker lost, empties
the outbox, and forgets finished jobs whose object is gone (`jobs_purge`).
"""

import contextlib
import logging
import os
import socket
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from amqp.exceptions import ChannelError
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from jobs.leases import LEASE_ENDED, lease_length, process_space
from jobs.models import JobLease, JobRun, LeaseState, OutboxMessage, RunOutcome
from jobs.outbox import outbox_flush
from jobs.registry import job_kind_get

logger = logging.getLogger(__name__)

# Finished leases the sweep looks at per run to forget those whose object is gone (`jobs_purge`).
PURGE_BATCH = 200


class Recovery(StrEnum):
    """What the sweep did with the job of a stopped run (the keys of `jobs_sweep`'s counts)."""

    FINISHED = "finished"  # the run had ended its job but stopped before releasing the lease
    GIVEN_UP = "given up"  # JOB_MAX_ATTEMPTS runs stopped: the kind's `give_up` is called
    REQUEUED = "re-queued"  # another run will take it


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed process nobody has reaped yet is a zombie: gone as well
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _owner_gone(lease: JobLease) -> bool:
    """True when the lease's owner ran in this process space and no longer exists: no need to wait
    for its lease to expire."""
    space = process_space()
    host, _, pid = lease.owner.rpartition(":")
    if not space or lease.owner_space != space or host != socket.gethostname() or not pid.isdigit():
        return False
    return _process_gone(int(pid))


def _lease_recover(lease: JobLease, now: datetime) -> Recovery | None:
    kind = job_kind_get(name=lease.kind)
    held = JobLease.objects.filter(pk=lease.pk, token=lease.token, state=LeaseState.RUNNING)
    given_up = ""
    with transaction.atomic():
        if kind.is_finished(object_id=lease.object_id):
            # The run ended its job but stopped before releasing: nothing to run again.
            result = Recovery.FINISHED if held.update(state=LeaseState.FINISHED, **LEASE_ENDED) else None
        elif lease.attempts >= settings.JOB_MAX_ATTEMPTS:
            given_up = (
                f"{kind.activity.capitalize()} stopped {lease.attempts} times (the worker running it stopped), "
                "so it was given up."
            )
            result = Recovery.GIVEN_UP if held.update(state=LeaseState.FINISHED, note=given_up, **LEASE_ENDED) else None
        else:
            note = (
                f"The worker stopped during {kind.activity}; {kind.activity} restarted automatically "
                f"(attempt {lease.attempts + 1} of {settings.JOB_MAX_ATTEMPTS})."
            )
            result = (
                Recovery.REQUEUED
                if held.update(state=LeaseState.QUEUED, available_at=now, note=note, **LEASE_ENDED)
                else None
            )
            if result:
                OutboxMessage.objects.create(
                    lease=lease, task_name=kind.task_name, args=[lease.object_id], available_at=now
                )
        if result:
            JobRun.objects.filter(lease=lease, outcome=RunOutcome.RUNNING).update(outcome=RunOutcome.LOST, ended_at=now)
    if result == Recovery.GIVEN_UP:
        kind.give_up(object_id=lease.object_id, reason=given_up)
    return result


def _broker_queue_empty() -> bool:
    """True when no message waits in the jobs' queues (settings: JOB_QUEUE_HEAVY, JOB_QUEUE_LIGHT).
    On SQS the count is approximate and leaves out messages a worker holds: a job sent again while
    its message is held runs once all the same (its lease)."""
    count = 0
    try:
        with current_app.connection_for_write() as broker:
            for queue in (settings.JOB_QUEUE_HEAVY, settings.JOB_QUEUE_LIGHT):
                # Redis keeps no key for an empty queue: "not found" means empty.
                with contextlib.suppress(ChannelError):
                    count += broker.default_channel.queue_declare(queue=queue, passive=True)[1]
    except Exception:
        return False  # the broker is unreachable: nothing can be sent anyway
    return count == 0


def _queued_resend(now: datetime) -> int:
    """Sends again the queued jobs whose message the broker lost (a Redis restarted without
    persistence): waiting longer than a lease, no message in the outbox and none in the queue."""
    waiting = JobLease.objects.filter(state=LeaseState.QUEUED, available_at__lte=now - lease_length()).exclude(
        outbox__isnull=False
    )
    if not waiting.exists() or not _broker_queue_empty():
        return 0
    resent = 0
    for lease in waiting:
        with transaction.atomic():
            if JobLease.objects.filter(pk=lease.pk, state=LeaseState.QUEUED).update(available_at=now):
                task_name = job_kind_get(name=lease.kind).task_name
                OutboxMessage.objects.create(lease=lease, task_name=task_name, args=[lease.object_id], available_at=now)
                resent += 1
    return resent


def jobs_purge(*, now: datetime, limit: int = PURGE_BATCH) -> int:
    """Forgets finished jobs whose object is gone: the lease with its runs and messages.

    How long the run log is kept: as long as the job's object exists (its runs explain the note
    the page shows and show that no two runs overlapped), and once the object is gone, until
    `JOB_HISTORY_DAYS` have passed since the job was last requested (`updated_at`, which only
    `job_enqueue` moves), for an admin looking into a delete; after that nothing reads it.
    Each sweep looks at `limit` finished leases at most, those it has not checked for longest
    first, so a large table is walked over several sweeps and a lease whose object is there is
    checked again only once in `JOB_HISTORY_DAYS`. Returns the number of leases removed."""
    cutoff = now - timedelta(days=settings.JOB_HISTORY_DAYS)
    due = (
        JobLease.objects.filter(state=LeaseState.FINISHED, updated_at__lte=cutoff)
        .filter(Q(checked_at__isnull=True) | Q(checked_at__lte=cutoff))
        .order_by(F("checked_at").asc(nulls_first=True), "pk")
        .values_list("pk", "kind", "object_id")[:limit]
    )
    by_kind: dict[str, dict[str, int]] = {}
    for pk, kind, object_id in due:
        by_kind.setdefault(kind, {})[object_id] = pk
    purged = 0
    for kind, leases in by_kind.items():
        try:
            existing = job_kind_get(name=kind).existing(object_ids=list(leases))
        except Exception:
            logger.exception("the objects of %s jobs could not be looked up", kind)
            continue
        gone = [pk for object_id, pk in leases.items() if object_id not in existing]
        kept = [pk for object_id, pk in leases.items() if object_id in existing]
        # Finished still: a lease queued again meanwhile (its object exists after all) stays.
        purged += JobLease.objects.filter(pk__in=gone, state=LeaseState.FINISHED).delete()[1].get("jobs.JobLease", 0)
        JobLease.objects.filter(pk__in=kept).update(checked_at=now)
    return purged


def jobs_sweep() -> dict[str, int]:
    """Takes back the jobs of stopped workers, re-sends lost messages, empties the outbox,
    forgets finished jobs whose object is gone."""
    now = timezone.now()
    outcomes: dict[str, int] = {}
    for lease in JobLease.objects.filter(state=LeaseState.RUNNING):
        if lease.expires_at is None or lease.expires_at <= now or _owner_gone(lease):
            try:
                result = _lease_recover(lease, now)
            except Exception:
                # One job that cannot be recovered (e.g. a kind no longer registered) must not stop the others.
                logger.exception("%s %s could not be recovered", lease.kind, lease.object_id)
                continue
            if result:
                logger.warning("%s %s (owner %s): %s", lease.kind, lease.object_id, lease.owner, result)
                outcomes[result] = outcomes.get(result, 0) + 1
    outcomes["resent"] = _queued_resend(now)
    outcomes["sent"] = outbox_flush()
    outcomes["purged"] = jobs_purge(now=now)
    return outcomes
