from django.contrib import admin

from jobs.models import JobLease, JobRun, OutboxMessage


@admin.register(JobLease)
class JobLeaseAdmin(admin.ModelAdmin):
    list_display = ("kind", "object_id", "state", "owner", "attempts", "expires_at", "note")
    list_filter = ("kind", "state")


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ("lease", "attempt", "owner", "started_at", "ended_at", "outcome")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("task_name", "args", "available_at", "send_attempts", "last_error")
