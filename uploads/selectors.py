"""Reads about version jobs for the pages: progress in people's words, queue position, file rows."""

from django.db.models import Q

from contract import FILE_LEVEL_ERRORS
from uploads.models import DatasetVersion, VersionStage, VersionStatus

FINAL = (VersionStatus.DONE, VersionStatus.FAILED)


def _number(value: int) -> str:
    return f"{value:,}"


def version_queue_position(*, version: DatasetVersion) -> tuple[int, int]:
    """(versions of any dataset queued before this one, versions being processed now)."""
    ahead = DatasetVersion.objects.filter(status=VersionStatus.QUEUED).filter(
        Q(created_at__lt=version.created_at) | Q(created_at=version.created_at, pk__lt=version.pk)
    )
    return ahead.count(), DatasetVersion.objects.filter(status=VersionStatus.PROCESSING).count()


def _detail(version: DatasetVersion) -> str:
    """One sentence on what is happening now, with counts where the stage has them."""
    if version.status == VersionStatus.QUEUED:
        ahead, processing = version_queue_position(version=version)
        where = f"{_number(ahead)} upload{'s' if ahead != 1 else ''} ahead" if ahead else "next in line"
        busy = f"; {_number(processing)} being processed now" if processing else ""
        return f"Waiting in the queue: {where}{busy}."
    if version.status == VersionStatus.DONE:
        return "Finished: every record that passed the checks is saved."
    if version.status == VersionStatus.FAILED:
        return "Failed: nothing of this version is saved."
    label = VersionStage(version.stage).label
    if version.progress_total and version.stage == VersionStage.PERSISTING:
        return f"{label}: {_number(version.progress_done)} of {_number(version.progress_total)} records."
    if version.progress_total and version.stage == VersionStage.INDEXING:
        return f"{label}: {_number(version.progress_done)} of about {_number(version.progress_total)} entries."
    return f"{label}…"


def version_progress(*, version: DatasetVersion) -> dict:
    """What the status endpoint sends and the pages render: the state of a version's processing."""
    return {
        "status": version.status,
        "status_label": VersionStatus(version.status).label,
        "stage": version.stage,
        "stage_label": VersionStage(version.stage).label,
        "percent": version.percent,
        "done": version.progress_done,
        "total": version.progress_total,
        "detail": _detail(version),
        "final": version.status in FINAL,
        "error": version.error or None,
        "counts": version.counts,
        "anomalies_total": version.anomalies_total,
    }


def version_file_rows(*, version: DatasetVersion | None) -> list[dict]:
    """Per file, what happened to its records, in words that hold for done and failed versions:
    a failed version keeps nothing, so its healthy records are "not saved", never "rejected"."""
    if version is None:
        return []
    rows = []
    for file, counts in (version.counts or {}).items():
        source = (version.sources or {}).get(file, {})
        read = counts.get("rows_read", 0)
        duplicates = counts.get("rows_duplicate", 0)
        with_errors = counts.get("rows_with_errors", 0)
        rows.append(
            {
                "file": file,
                "source": source,
                "replaced": file in (version.replaced_files or []),
                "read": read,
                "unread": counts.get("rows_unread", 0),
                "saved": counts.get("rows_persisted", 0),
                "with_errors": with_errors,
                "duplicates": duplicates,
                # healthy records a failed version could not keep
                "not_saved": max(0, read - with_errors - duplicates) if version.status == VersionStatus.FAILED else 0,
            }
        )
    return rows


def version_file_level_errors(*, version: DatasetVersion | None) -> list[dict]:
    """The errors at file level that failed the version, per file and code."""
    if version is None:
        return []
    return [
        {"file": file, "code": code.value, "count": counts["anomalies"][code.value]}
        for file, counts in (version.counts or {}).items()
        for code in FILE_LEVEL_ERRORS
        if (counts.get("anomalies") or {}).get(code.value)
    ]


def version_duration(*, version: DatasetVersion | None) -> str:
    if version is None or not (version.started_at and version.finished_at):
        return ""
    seconds = round((version.finished_at - version.started_at).total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if hours or minutes else []
    return " ".join([*parts, f"{seconds} s"])
