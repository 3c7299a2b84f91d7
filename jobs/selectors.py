"""What a page may say about a job."""

from dataclasses import dataclass

from jobs.models import JobLease, LeaseState, RunOutcome


@dataclass(frozen=True)
class JobNotice:
    note: str  # what happened that the user did not ask for ("the worker stopped; ...")
    waiting_for_broker: bool  # queued, but the message could not be handed to the broker yet
    attempts: int


def job_notice(*, kind: str, object_id: str) -> JobNotice | None:
    lease = JobLease.objects.filter(kind=kind, object_id=str(object_id)).first()
    if lease is None:
        return None
    waiting = lease.state == LeaseState.QUEUED and lease.outbox.filter(send_attempts__gt=0).exists()
    return JobNotice(note=_note_current(lease), waiting_for_broker=waiting, attempts=lease.attempts)


def _note_current(lease: JobLease) -> str:
    """The lease's note, unless a later run completed the job: a retry or restart it announced is over."""
    if lease.state != LeaseState.FINISHED or not lease.note:
        return lease.note
    last = lease.runs.order_by("-started_at", "-pk").first()
    return "" if last is not None and last.outcome == RunOutcome.COMPLETED else lease.note
