"""Jobs that cannot be lost: queued through an outbox, run under a lease, taken back by a sweep.

- `job_enqueue` records the job and its message in the caller's transaction; the message leaves
  when the transaction commits, or at the next sweep if the broker cannot take it then.
- `job_run` claims the lease (one run at a time, whatever the number of messages), keeps it alive
  from a heartbeat thread and from the job's progress (`job_heartbeat`), and releases it.
- `jobs_sweep` (Celery beat) re-queues the jobs of a worker that stopped, up to
  `JOB_MAX_ATTEMPTS` runs, then gives them up through their kind's callback; it also forgets
  finished jobs whose object is gone (`jobs_purge`).
"""

import contextlib
import contextvars
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from amqp.exceptions import ChannelError
from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from jobs.models import JobLease, JobRun, LeaseState, OutboxMessage, RunOutcome
from jobs.registry import job_kind_get

logger = logging.getLogger(__name__)

# A message the broker cannot take within about two seconds stays in the outbox for the sweep,
# so that a request never hangs on a stopped Redis.
SEND_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
# Finished leases the sweep looks at per run to forget those whose object is gone (`jobs_purge`).
PURGE_BATCH = 200


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


_current: contextvars.ContextVar[Claim | None] = contextvars.ContextVar("job_claim", default=None)


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_space() -> str:
    """Names this machine's boot and pid namespace: two owners in the same space can check each
    other's process ids; in different containers or machines they cannot."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        return f"{boot}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return ""


def _lease_length() -> timedelta:
    return timedelta(seconds=settings.JOB_LEASE_SECONDS)


def _heartbeat_interval() -> float:
    # Several renewals per lease, so that one slow database write does not lose it.
    return settings.JOB_LEASE_SECONDS / 4


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- Queueing --------------------------------------------------------------------------------


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
        logger.warning("message %s kept in the outbox: the broker refused it (%s)", message, _error_text(exc))
        OutboxMessage.objects.filter(pk=message.pk).update(
            send_attempts=F("send_attempts") + 1, last_error=_error_text(exc)
        )
        return False
    OutboxMessage.objects.filter(pk=message.pk).delete()
    return True


def outbox_flush(*, limit: int = 200) -> int:
    """Sends the messages that are due; stops at the first refusal (the broker is down)."""
    sent = 0
    for message in OutboxMessage.objects.filter(available_at__lte=timezone.now())[:limit]:
        if not _send(message):
            break
        sent += 1
    return sent


# --- Running ---------------------------------------------------------------------------------


def job_claim(*, kind: str, object_id: str) -> Claim | None:
    """Takes the job's lease if it is queued and due; None when another run holds it, it is
    finished, or it waits out a backoff (the message is then a duplicate and is dropped)."""
    now = timezone.now()
    token = uuid.uuid4().hex
    owner = _owner()
    with transaction.atomic():
        # One conditional UPDATE: of two workers given the same job, exactly one matches the row.
        claimed = JobLease.objects.filter(
            kind=kind, object_id=str(object_id), state=LeaseState.QUEUED, available_at__lte=now
        ).update(
            state=LeaseState.RUNNING,
            owner=owner,
            owner_space=_process_space(),
            token=token,
            heartbeat_at=now,
            expires_at=now + _lease_length(),
            attempts=F("attempts") + 1,
        )
        if not claimed:
            return None
        lease = JobLease.objects.get(kind=kind, object_id=str(object_id))
        run = JobRun.objects.create(lease=lease, attempt=lease.attempts, owner=owner, started_at=now)
    return Claim(
        lease_id=lease.pk, run_id=run.pk, kind=kind, object_id=str(object_id), token=token, attempt=lease.attempts
    )


def _renew(claim: Claim) -> bool:
    now = timezone.now()
    renewed = JobLease.objects.filter(pk=claim.lease_id, token=claim.token, state=LeaseState.RUNNING).update(
        heartbeat_at=now, expires_at=now + _lease_length()
    )
    claim.renewed_at = time.monotonic()
    if not renewed:
        claim.lost.set()
    return bool(renewed)


def _keep_alive(claim: Claim, stop: threading.Event) -> None:
    """Renews the lease while the process lives, also through long steps that report no progress."""
    try:
        while not stop.wait(_heartbeat_interval()):
            try:
                if not _renew(claim):
                    return
            except Exception:
                logger.exception("the lease of %s %s could not be renewed", claim.kind, claim.object_id)
    finally:
        connection.close()


def job_heartbeat(*, stage: str, fraction: float = 0.0) -> None:
    """Called by a running job at each step of its progress: renews its lease when due and stops
    the job (`LeaseLost`) if the lease went to another run. Does nothing outside a job."""
    claim = _current.get()
    if claim is None:
        return
    if time.monotonic() - claim.renewed_at >= _heartbeat_interval():
        _renew(claim)
    if claim.lost.is_set():
        raise LeaseLost(f"{claim.kind} {claim.object_id}: the lease went to another run")
    hook = settings.JOB_STAGE_HOOK
    if hook:
        import_string(hook)(kind=claim.kind, object_id=claim.object_id, stage=stage, fraction=fraction)


def job_may_retry() -> bool:
    """True when a transient error of the running job may end in another run rather than a failure."""
    claim = _current.get()
    return claim is not None and claim.attempt < settings.JOB_MAX_ATTEMPTS


def job_attempt() -> int:
    """The number of the running job's run since it was requested (0 outside a job)."""
    claim = _current.get()
    return claim.attempt if claim is not None else 0


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
    ended = {"owner": "", "owner_space": "", "token": "", "expires_at": None}
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


def job_run(*, kind: str, object_id: str, work: Callable[[], None]) -> str:
    """Runs `work` under the job's lease; what a task calls. Returns what became of the message."""
    claim = job_claim(kind=kind, object_id=object_id)
    if claim is None:
        logger.info("%s %s is running, finished or not due: this message is a duplicate", kind, object_id)
        return "skipped"
    stop = threading.Event()
    keeper = threading.Thread(target=_keep_alive, args=(claim, stop), name=f"lease {kind} {object_id}", daemon=True)
    keeper.start()
    context = _current.set(claim)
    try:
        work()
    except TransientJobError as exc:
        soonest, latest = retry_wait_seconds(claim.attempt)
        attempt = f"attempt {claim.attempt + 1} of {settings.JOB_MAX_ATTEMPTS}"
        note = f"{exc} Retrying automatically in {soonest}–{latest} s ({attempt})."
        job_release(claim=claim, outcome=RunOutcome.RETRYING, note=note)
        return "retrying"
    except LeaseLost:
        logger.warning("%s %s stopped: another run holds it now", kind, object_id)
        return "lost"
    except BaseException as exc:
        activity = job_kind_get(name=kind).activity
        job_release(claim=claim, outcome=RunOutcome.FAILED, note=f"{activity.capitalize()} failed: {_error_text(exc)}")
        raise
    finally:
        stop.set()
        _current.reset(context)
        keeper.join(timeout=10)
    job_release(claim=claim, outcome=RunOutcome.COMPLETED)
    return "completed"


# --- The sweep -------------------------------------------------------------------------------


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
    space = _process_space()
    host, _, pid = lease.owner.rpartition(":")
    if not space or lease.owner_space != space or host != socket.gethostname() or not pid.isdigit():
        return False
    return _process_gone(int(pid))


def _lease_recover(lease: JobLease, now: datetime) -> str:
    kind = job_kind_get(name=lease.kind)
    held = JobLease.objects.filter(pk=lease.pk, token=lease.token, state=LeaseState.RUNNING)
    ended = {"owner": "", "owner_space": "", "token": "", "expires_at": None}
    given_up = ""
    with transaction.atomic():
        if kind.is_finished(object_id=lease.object_id):
            # The run ended its job but stopped before releasing: nothing to run again.
            result = "finished" if held.update(state=LeaseState.FINISHED, **ended) else ""
        elif lease.attempts >= settings.JOB_MAX_ATTEMPTS:
            given_up = (
                f"{kind.activity.capitalize()} stopped {lease.attempts} times (the worker running it stopped), "
                "so it was given up."
            )
            result = "given up" if held.update(state=LeaseState.FINISHED, note=given_up, **ended) else ""
        else:
            note = (
                f"The worker stopped during {kind.activity}; {kind.activity} restarted automatically "
                f"(attempt {lease.attempts + 1} of {settings.JOB_MAX_ATTEMPTS})."
            )
            result = "re-queued" if held.update(state=LeaseState.QUEUED, available_at=now, note=note, **ended) else ""
            if result:
                OutboxMessage.objects.create(
                    lease=lease, task_name=kind.task_name, args=[lease.object_id], available_at=now
                )
        if result:
            JobRun.objects.filter(lease=lease, outcome=RunOutcome.RUNNING).update(outcome=RunOutcome.LOST, ended_at=now)
    if result == "given up":
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
    waiting = JobLease.objects.filter(state=LeaseState.QUEUED, available_at__lte=now - _lease_length()).exclude(
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
