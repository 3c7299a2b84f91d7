"""The jobs app on the test database: outbox, claim, heartbeat, release and the sweep.

The broker is a recorder here (what is sent, or a refusal); the real worker, beat and Redis are in
`tests/e2e/test_faults.py`."""

import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from jobs import leases, outbox, runs
from jobs.leases import LeaseLost, TransientJobError, job_claim, job_release
from jobs.models import JobLease, JobRun, LeaseState, OutboxMessage, RunOutcome
from jobs.outbox import job_enqueue
from jobs.registry import JobKind, job_kind_register
from jobs.runs import job_heartbeat, job_run
from jobs.selectors import job_notice
from jobs.sweep import jobs_purge, jobs_sweep
from tests.conftest import Broker
from tests.jobs import stage_hooks

pytestmark = pytest.mark.django_db

KIND = "test.job"


@pytest.fixture
def kind():
    given_up: dict[str, str] = {}
    finished: set[str] = set()
    gone: set[str] = set()
    job_kind_register(
        kind=JobKind(
            name=KIND,
            task_name="tests.job",
            activity="testing",
            give_up=lambda *, object_id, reason: given_up.__setitem__(object_id, reason),
            is_finished=lambda *, object_id: object_id in finished,
            existing=lambda *, object_ids: set(object_ids) - gone,
        )
    )
    return {"given_up": given_up, "finished": finished, "gone": gone}


def _enqueue(broker: Broker | None = None, object_id: str = "job-1") -> None:
    """Queues a job; given the broker, also sends its first message and forgets it."""
    with transaction.atomic():
        job_enqueue(kind=KIND, object_id=object_id)
    if broker is not None:
        outbox.outbox_flush()
        broker.sent.clear()


def _expire(object_id: str = "job-1") -> None:
    JobLease.objects.filter(object_id=object_id).update(expires_at=timezone.now() - timedelta(seconds=1))


def test_a_queued_job_is_sent_once_its_transaction_commits(broker, kind, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue()

    assert broker.sent == [("tests.job", ["job-1"])]
    assert not OutboxMessage.objects.exists()
    assert JobLease.objects.get(object_id="job-1").state == LeaseState.QUEUED


def test_a_message_the_broker_refuses_stays_in_the_outbox_until_a_sweep_sends_it(
    broker, kind, django_capture_on_commit_callbacks
):
    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        _enqueue()

    assert broker.sent == []
    assert OutboxMessage.objects.get().send_attempts == 1
    assert job_notice(kind=KIND, object_id="job-1").waiting_for_broker

    broker.down = False
    assert jobs_sweep()["sent"] == 1
    assert broker.sent == [("tests.job", ["job-1"])]
    assert not OutboxMessage.objects.exists()
    assert not job_notice(kind=KIND, object_id="job-1").waiting_for_broker


def test_only_one_claim_holds_a_job_and_a_finished_job_is_not_claimed_again(broker, kind):
    _enqueue(broker)

    first = job_claim(kind=KIND, object_id="job-1")
    second = job_claim(kind=KIND, object_id="job-1")
    assert first is not None
    assert second is None

    assert job_release(claim=first, outcome=RunOutcome.COMPLETED)
    assert job_claim(kind=KIND, object_id="job-1") is None
    assert JobLease.objects.get().state == LeaseState.FINISHED
    assert list(JobRun.objects.values_list("attempt", "outcome")) == [(1, "completed")]


def test_job_run_skips_a_duplicate_message_and_runs_the_work_once(broker, kind):
    _enqueue(broker)
    runs = []

    assert job_run(kind=KIND, object_id="job-1", work=lambda: runs.append(1)) == "completed"
    assert job_run(kind=KIND, object_id="job-1", work=lambda: runs.append(2)) == "skipped"
    assert runs == [1]


def test_the_sweep_requeues_a_job_whose_lease_expired_and_tells_the_user(broker, kind):
    _enqueue(broker)
    claim = job_claim(kind=KIND, object_id="job-1")
    _expire()

    assert jobs_sweep() == {"re-queued": 1, "resent": 0, "sent": 1, "purged": 0}

    lease = JobLease.objects.get()
    assert lease.state == LeaseState.QUEUED
    assert lease.owner == ""
    assert lease.attempts == 1
    assert lease.note == "The worker stopped during testing; testing restarted automatically (attempt 2 of 4)."
    assert broker.sent == [("tests.job", ["job-1"])]
    assert JobRun.objects.get().outcome == RunOutcome.LOST
    # the run that lost its lease can neither release it nor go on
    assert not job_release(claim=claim, outcome=RunOutcome.COMPLETED)
    assert job_claim(kind=KIND, object_id="job-1").attempt == 2


def test_the_sweep_gives_a_job_up_after_the_last_attempt(broker, kind, settings):
    _enqueue(broker)
    for _ in range(settings.JOB_MAX_ATTEMPTS):
        assert job_claim(kind=KIND, object_id="job-1") is not None
        _expire()
        jobs_sweep()

    lease = JobLease.objects.get()
    assert lease.state == LeaseState.FINISHED
    assert lease.attempts == settings.JOB_MAX_ATTEMPTS
    assert kind["given_up"] == {"job-1": "Testing stopped 4 times (the worker running it stopped), so it was given up."}
    assert list(JobRun.objects.values_list("outcome", flat=True)) == ["lost"] * 4


def test_the_sweep_does_not_rerun_a_job_that_finished_before_its_release(broker, kind):
    _enqueue(broker)
    job_claim(kind=KIND, object_id="job-1")
    kind["finished"].add("job-1")
    _expire()

    assert jobs_sweep()["finished"] == 1
    assert JobLease.objects.get().state == LeaseState.FINISHED
    assert broker.sent == []


def test_the_sweep_does_not_wait_for_the_lease_of_a_process_that_is_gone(broker, kind):
    _enqueue(broker)
    job_claim(kind=KIND, object_id="job-1")
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    lease = JobLease.objects.get()
    host = lease.owner.rpartition(":")[0]
    JobLease.objects.update(owner=f"{host}:{gone.stdout.strip()}")

    assert jobs_sweep()["re-queued"] == 1  # the lease itself is still valid for another 10 s


def test_the_sweep_leaves_a_live_run_alone(broker, kind):
    _enqueue(broker)
    job_claim(kind=KIND, object_id="job-1")

    assert jobs_sweep() == {"resent": 0, "sent": 0, "purged": 0}
    assert JobLease.objects.get().state == LeaseState.RUNNING


def test_a_transient_error_queues_the_job_again_after_a_backoff(broker, kind):
    _enqueue(broker)

    def work():
        raise TransientJobError("Processing stopped: MongoDB could not be reached.")

    assert job_run(kind=KIND, object_id="job-1", work=work) == "retrying"

    lease = JobLease.objects.get()
    assert lease.state == LeaseState.QUEUED
    assert lease.available_at > timezone.now()
    assert lease.note == (
        "Processing stopped: MongoDB could not be reached. Retrying automatically in 2–4 s (attempt 2 of 4)."
    )
    # not before the backoff: an early duplicate message is dropped, the outbox sends it when due
    assert job_claim(kind=KIND, object_id="job-1") is None
    assert jobs_sweep()["sent"] == 0
    OutboxMessage.objects.update(available_at=timezone.now())
    JobLease.objects.update(available_at=timezone.now())
    assert jobs_sweep()["sent"] == 1
    assert broker.sent == [("tests.job", ["job-1"])]


def test_a_run_that_lost_its_lease_stops_at_its_next_heartbeat(broker, kind):
    _enqueue(broker)
    steps = []

    def work():
        steps.append("started")
        JobLease.objects.update(token="another-run")  # the sweep gave the job to another run
        runs.current_claim.get().renewed_at = 0  # the next heartbeat renews, and finds it lost
        job_heartbeat(stage="persisting", fraction=0.5)
        steps.append("went on")

    assert job_run(kind=KIND, object_id="job-1", work=work) == "lost"
    assert steps == ["started"]


def test_heartbeat_outside_a_job_does_nothing(broker, kind, settings):
    # given a queued job, and a stage hook that records its calls
    _enqueue(broker)
    lease = JobLease.objects.values().get()
    settings.JOB_STAGE_HOOK = "tests.jobs.stage_hooks.stage_record"
    stage_hooks.calls.clear()

    # when a heartbeat comes from outside any job
    job_heartbeat(stage="reading", fraction=0.5)

    # then no lease is renewed and the hook is not told
    assert JobLease.objects.values().get() == lease
    assert stage_hooks.calls == []
    # while the same heartbeat from inside a job reaches the hook
    job_run(kind=KIND, object_id="job-1", work=lambda: job_heartbeat(stage="reading", fraction=0.5))
    assert stage_hooks.calls == [{"kind": KIND, "object_id": "job-1", "stage": "reading", "fraction": 0.5}]


def test_lease_lost_is_not_caught_by_a_jobs_own_error_handling():
    assert not issubclass(LeaseLost, Exception)


# --- Forgetting the jobs of objects that are gone ---------------------------------------------


def _finished(broker: Broker, object_id: str, days_ago: int = 0) -> None:
    """A job that ran once and finished, requested `days_ago` days ago."""
    _enqueue(broker, object_id)
    job_release(claim=job_claim(kind=KIND, object_id=object_id), outcome=RunOutcome.COMPLETED)
    JobLease.objects.filter(object_id=object_id).update(updated_at=timezone.now() - timedelta(days=days_ago))


def test_the_sweep_forgets_a_finished_job_whose_object_is_gone_once_its_history_is_past(broker, kind, settings):
    # given three finished jobs, one of them requested longer ago than the history is kept
    _finished(broker, "gone-long-ago", days_ago=settings.JOB_HISTORY_DAYS + 1)
    _finished(broker, "gone-recently", days_ago=settings.JOB_HISTORY_DAYS - 1)
    _finished(broker, "still-there", days_ago=settings.JOB_HISTORY_DAYS + 1)
    for lease in JobLease.objects.all():  # and a duplicate message of each that the broker refuses
        OutboxMessage.objects.create(
            lease=lease, task_name="tests.job", args=[lease.object_id], available_at=timezone.now()
        )
    broker.down = True
    kind["gone"].update({"gone-long-ago", "gone-recently"})

    # when the sweep runs
    assert jobs_sweep()["purged"] == 1

    # then only the old job of an object that is gone is forgotten, its runs and messages with it
    assert set(JobLease.objects.values_list("object_id", flat=True)) == {"gone-recently", "still-there"}
    assert set(JobRun.objects.values_list("lease__object_id", flat=True)) == {"gone-recently", "still-there"}
    assert set(OutboxMessage.objects.values_list("lease__object_id", flat=True)) == {"gone-recently", "still-there"}
    assert JobLease.objects.get(object_id="still-there").checked_at is not None


def test_a_job_not_finished_is_never_forgotten(broker, kind):
    _enqueue(broker, "queued")
    _enqueue(broker, "running")
    job_claim(kind=KIND, object_id="running")
    JobLease.objects.update(updated_at=timezone.now() - timedelta(days=365))
    kind["gone"].update({"queued", "running"})

    assert jobs_purge(now=timezone.now()) == 0
    assert JobLease.objects.count() == 2


def test_the_purge_looks_at_a_bounded_batch_per_sweep_and_walks_the_whole_table(broker, kind, settings):
    # given three old finished jobs whose objects are there, then two whose objects are gone
    old = settings.JOB_HISTORY_DAYS + 1
    for object_id in ("kept-1", "kept-2", "kept-3", "gone-1", "gone-2"):
        _finished(broker, object_id, days_ago=old)
    kind["gone"].update({"gone-1", "gone-2"})

    # a sweep looks at three: the kept ones, which it marks checked
    assert jobs_purge(now=timezone.now(), limit=3) == 0
    assert JobLease.objects.filter(checked_at__isnull=False).count() == 3
    # the next one goes on with the leases not checked yet
    assert jobs_purge(now=timezone.now(), limit=3) == 2
    assert set(JobLease.objects.values_list("object_id", flat=True)) == {"kept-1", "kept-2", "kept-3"}
    # and the kept ones are not looked at again before the history period has passed
    checked = dict(JobLease.objects.values_list("object_id", "checked_at"))
    assert jobs_purge(now=timezone.now() + timedelta(days=1), limit=3) == 0
    assert dict(JobLease.objects.values_list("object_id", "checked_at")) == checked


def test_a_retry_is_announced_for_when_it_really_comes(broker, kind, settings):
    settings.JOB_RETRY_BACKOFF_SECONDS, settings.JOB_SWEEP_SECONDS, settings.JOB_MAX_ATTEMPTS = 30, 10, 4
    _enqueue(broker)

    def work():
        raise TransientJobError("Processing stopped: MongoDB could not be reached.")

    job_run(kind=KIND, object_id="job-1", work=work)

    # the message is due after the backoff, and the sweep that sends it comes within one period
    lease, message = JobLease.objects.get(), OutboxMessage.objects.get()
    assert message.available_at == lease.available_at
    assert leases.retry_wait_seconds(1) == (30, 40)
    assert leases.retry_wait_seconds(2) == (60, 70)
    assert lease.note.endswith("Retrying automatically in 30–40 s (attempt 2 of 4).")


def test_a_retry_s_note_is_no_longer_shown_once_a_later_run_completed_the_job(broker, kind):
    _enqueue(broker)

    def fails():
        raise TransientJobError("Processing stopped: MongoDB could not be reached.")

    job_run(kind=KIND, object_id="job-1", work=fails)
    JobLease.objects.update(available_at=timezone.now())
    waiting = job_notice(kind=KIND, object_id="job-1")

    assert job_run(kind=KIND, object_id="job-1", work=lambda: None) == "completed"

    assert "Retrying automatically" in waiting.note
    assert job_notice(kind=KIND, object_id="job-1").note == ""
    assert "Retrying automatically" in JobLease.objects.get().note  # the run log keeps it
