"""Running a job: what a task calls (`job_run`), and what the running job calls (`job_heartbeat`,
`job_may_retry`, `job_attempt`). A heartbeat thread keeps the lease alive through long steps.
"""

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from enum import StrEnum

from django.conf import settings
from django.db import connection
from django.utils.module_loading import import_string

from jobs.leases import Claim, LeaseLost, TransientJobError, job_claim, job_release, lease_renew, retry_wait_seconds
from jobs.models import RunOutcome
from jobs.outbox import error_text
from jobs.registry import job_kind_get

logger = logging.getLogger(__name__)
# How long a finished run waits for its heartbeat thread to stop.
KEEPER_JOIN_SECONDS = 10


class MessageOutcome(StrEnum):
    """What became of one task message (`job_run`'s result, the task's return value)."""

    SKIPPED = "skipped"  # a duplicate: the job is running, finished or not due
    COMPLETED = RunOutcome.COMPLETED.value
    RETRYING = RunOutcome.RETRYING.value
    LOST = RunOutcome.LOST.value  # another run took the lease


current_claim: contextvars.ContextVar[Claim | None] = contextvars.ContextVar("job_claim", default=None)


def _heartbeat_interval() -> float:
    # Several renewals per lease, so that one slow database write does not lose it.
    return settings.JOB_LEASE_SECONDS / 4


def _keep_alive(claim: Claim, stop: threading.Event) -> None:
    """Renews the lease while the process lives, also through long steps that report no progress."""
    try:
        while not stop.wait(_heartbeat_interval()):
            try:
                if not lease_renew(claim):
                    return
            except Exception:
                logger.exception("the lease of %s %s could not be renewed", claim.kind, claim.object_id)
    finally:
        connection.close()


def job_heartbeat(*, stage: str, fraction: float = 0.0) -> None:
    """Called by a running job at each step of its progress: renews its lease when due and stops
    the job (`LeaseLost`) if the lease went to another run. Does nothing outside a job."""
    claim = current_claim.get()
    if claim is None:
        return
    if time.monotonic() - claim.renewed_at >= _heartbeat_interval():
        lease_renew(claim)
    if claim.lost.is_set():
        raise LeaseLost(f"{claim.kind} {claim.object_id}: the lease went to another run")
    hook = settings.JOB_STAGE_HOOK
    if hook:
        import_string(hook)(kind=claim.kind, object_id=claim.object_id, stage=stage, fraction=fraction)


def job_may_retry() -> bool:
    """True when a transient error of the running job may end in another run rather than a failure."""
    claim = current_claim.get()
    return claim is not None and claim.attempt < settings.JOB_MAX_ATTEMPTS


def job_attempt() -> int:
    """The number of the running job's run since it was requested (0 outside a job)."""
    claim = current_claim.get()
    return claim.attempt if claim is not None else 0


def job_run(*, kind: str, object_id: str, work: Callable[[], None]) -> MessageOutcome:
    """Runs `work` under the job's lease; what a task calls. Returns what became of the message."""
    claim = job_claim(kind=kind, object_id=object_id)
    if claim is None:
        logger.info("%s %s is running, finished or not due: this message is a duplicate", kind, object_id)
        return MessageOutcome.SKIPPED
    stop = threading.Event()
    keeper = threading.Thread(target=_keep_alive, args=(claim, stop), name=f"lease {kind} {object_id}", daemon=True)
    keeper.start()
    context = current_claim.set(claim)
    try:
        work()
    except TransientJobError as exc:
        soonest, latest = retry_wait_seconds(claim.attempt)
        attempt = f"attempt {claim.attempt + 1} of {settings.JOB_MAX_ATTEMPTS}"
        note = f"{exc} Retrying automatically in {soonest}–{latest} s ({attempt})."
        job_release(claim=claim, outcome=RunOutcome.RETRYING, note=note)
        return MessageOutcome.RETRYING
    except LeaseLost:
        logger.warning("%s %s stopped: another run holds it now", kind, object_id)
        return MessageOutcome.LOST
    except BaseException as exc:
        activity = job_kind_get(name=kind).activity
        job_release(claim=claim, outcome=RunOutcome.FAILED, note=f"{activity.capitalize()} failed: {error_text(exc)}")
        raise
    finally:
        stop.set()
        current_claim.reset(context)
        keeper.join(timeout=KEEPER_JOIN_SECONDS)
    job_release(claim=claim, outcome=RunOutcome.COMPLETED)
    return MessageOutcome.COMPLETED
