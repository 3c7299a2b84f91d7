"""What a page may say about a job."""

from dataclasses import dataclass

from jobs.models import JobLease, LeaseState


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
    return JobNotice(note=lease.note, waiting_for_broker=waiting, attempts=lease.attempts)
