"""The lease of a job: one run at a time holds it, fenced by a token; a run that lost it stops.

A run claims the lease (`job_claim`), renews it while it works (`lease_renew`) and releases it
(`job_release`): the job is finished, or queued again after a backoff.
"""

import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from jobs.models import JobLease, JobRun, LeaseState, OutboxMessage, RunOutcome
from jobs.registry import job_kind_get

# The fields of a lease no run holds.
LEASE_ENDED = {"owner": "", "owner_space": "", "token": "", "expires_at": None}


class TransientJobError(Exception):
    """A service the job needs (database, storage) could not be reached: worth another run later."""


class LeaseLost(BaseException):
    """This run no longer holds its job (the sweep gave it to another run): stop at once.

    A BaseException, so that a job's own `except Exception` cannot catch it and then write over
    the work of the run that now holds the lease."""


@dataclass
class Claim:
    lease_id: int
    run_id: int
    kind: str
    object_id: str
    token: str
    attempt: int
    renewed_at: float = field(default_factory=time.monotonic)
    lost: threading.Event = field(default_factory=threading.Event)


def owner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def process_space() -> str:
    """Names this machine's boot and pid namespace: two owners in the same space can check each
    other's process ids; in different containers or machines they cannot."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return f"{boot}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return ""


def lease_length() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def job_claim(*, kind: str, object_id: str) -> Claim | None:
    """Takes the job's lease if it is queued and due; None when another run holds it, it is
    finished, or it waits out a backoff (the message is then a duplicate and is dropped)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    owner = owner_name()
    with transaction.atomic():
        # One conditional UPDATE: of two workers given the same job, exactly one matches the row.
        claimed = JobLease.objects.filter(
            kind=kind, object_id=str(object_id), state=LeaseState.QUEUED, available_at__lte=now
        ).update(
            state=LeaseState.RUNNING,
            owner=owner,
            owner_space=process_space(),
            token=token,
            heartbeat_at=now,
            expires_at=now + lease_length(),
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        lease = JobLease.objects.get(kind=kind, object_id=str(object_id))
        run = JobRun.objects.create(lease=lease, attempt=lease.attempts, owner=owner, started_at=now)
    return Claim(
        lease_id=lease.pk, run_id=run.pk, kind=kind, object_id=str(object_id), token=token, attempt=lease.attempts
    )


def lease_renew(claim: Claim) -> bool:
    now = timezone.now()
    renewed = JobLease.objects.filter(pk=claim.lease_id, token=claim.token, state=LeaseState.RUNNING).update(
        heartbeat_at=now, expires_at=now + lease_length()
    )
    claim.renewed_at = time.monotonic()
    if not renewed:
        claim.lost.set()
    return bool(renewed)


def _retry_delay(attempt: int) -> int:
    return settings.JOB_RETRY_BACKOFF_SECONDS * 2 ** max(0, attempt - 1)


def retry_wait_seconds(attempt: int) -> tuple[int, int]:
    """The shortest and longest wait before the run after `attempt` starts: the message is due after
    the backoff, and the outbox is emptied by the sweep, every JOB_SWEEP_SECONDS."""
    delay = _retry_delay(attempt)
    return delay, delay + settings.JOB_SWEEP_SECONDS


def job_release(*, claim: Claim, outcome: str, note: str | None = None) -> bool:
    """Ends the run: the job is finished, or (outcome `retrying`) queued again after a backoff.
    False if the run had already lost its lease."""
    now = timezone.now()
    lease = JobLease.objects.filter(pk=claim.lease_id, token=claim.token, state=LeaseState.RUNNING)
    ended: dict[str, object] = dict(LEASE_ENDED)
    with transaction.atomic():
        if outcome == RunOutcome.RETRYING:
            available_at = now + timedelta(seconds=_retry_delay(claim.attempt))
            released = lease.update(state=LeaseState.QUEUED, available_at=available_at, note=note or "", **ended)
            if released:
                task_name = job_kind_get(name=claim.kind).task_name
                OutboxMessage.objects.create(
                    lease_id=claim.lease_id, task_name=task_name, args=[claim.object_id], available_at=available_at
                )
        else:
            if note is not None:
                ended["note"] = note
            released = lease.update(state=LeaseState.FINISHED, **ended)
        if released:
            JobRun.objects.filter(pk=claim.run_id).update(ended_at=now, outcome=outcome)
    return bool(released)
