"""The reliability record of background jobs: a lease per job, its runs, and an outbox of messages.

A job is named by its kind (registered by the app that owns it, see `registry.py`) and the id of
its object; this app knows nothing else about it.
"""

from django.db import models


class LeaseState(models.TextChoices):
    QUEUED = "queued"  # waiting for a worker (a message is in the broker or in the outbox)
    RUNNING = "running"  # held by one worker run until `expires_at`, renewed by its heartbeat
    FINISHED = "finished"  # ended (done, failed or given up); a late message finds nothing to do


class JobLease(models.Model):
    kind = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=LeaseState.choices, default=LeaseState.QUEUED)
    # hostname:pid of the process running the job, and the secret of that run (the fence: a run
    # whose token is no longer on the lease has lost it and must stop).
    owner = models.CharField(max_length=200, blank=True)
    # The owner's boot and pid namespace: a sweep in the same one may check that the pid still exists.
    owner_space = models.CharField(max_length=200, blank=True)
    token = models.CharField(max_length=32, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Not claimable before this moment (a retry after a transient error waits out its backoff).
    available_at = models.DateTimeField()
    # Runs started since the job was last requested by a person.
    attempts = models.PositiveSmallIntegerField(default=0)
    # Shown to the user: what happened to the job that they did not ask for.
    note = models.TextField(blank=True)
    # Moved by `job_enqueue` alone (every other change is an UPDATE): when the job was last requested.
    updated_at = models.DateTimeField(auto_now=True)
    # When the sweep last found the object of this finished job still there (see `jobs_purge`).
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="jobs_lease_one_per_job")]
        indexes = [models.Index(fields=["state", "expires_at"]), models.Index(fields=["state", "checked_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} ({self.state})"


class RunOutcome(models.TextChoices):
    RUNNING = "running"
    COMPLETED = "completed"  # the job reached its final state
    RETRYING = "retrying"  # a transient error: queued again after a backoff
    LOST = "lost"  # the worker stopped (or lost the lease); the sweep took the job back
    FAILED = "failed"  # an unexpected error escaped the job


class JobRun(models.Model):
    """One run of a job by one worker process: the log that shows nothing ran twice at once."""

    lease = models.ForeignKey(JobLease, on_delete=models.CASCADE, related_name="runs")
    attempt = models.PositiveSmallIntegerField()
    owner = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=RunOutcome.choices, default=RunOutcome.RUNNING)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.lease} run {self.attempt} ({self.outcome})"


class OutboxMessage(models.Model):
    """A task message written in the same transaction as the job, sent once the broker takes it."""

    # The job it starts, so a page can say that the job waits for the broker.
    lease = models.ForeignKey(JobLease, on_delete=models.CASCADE, related_name="outbox")
    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    available_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    send_attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["available_at", "id"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
