"""Reads about Dataset jobs for the pages: progress in people's words, queue position, file rows."""

from django.db.models import Q

from uploads.models import Dataset, DatasetStage, DatasetStatus

FINAL = (DatasetStatus.DONE, DatasetStatus.FAILED)


def _number(value: int) -> str:
    return f"{value:,}"


def dataset_queue_position(*, dataset: Dataset) -> tuple[int, int]:
    """(datasets queued before this one, datasets being processed now)."""
    ahead = Dataset.objects.filter(status=DatasetStatus.QUEUED).filter(
        Q(created_at__lt=dataset.created_at) | Q(created_at=dataset.created_at, pk__lt=dataset.pk)
    )
    return ahead.count(), Dataset.objects.filter(status=DatasetStatus.PROCESSING).count()


def _detail(dataset: Dataset) -> str:
    """One sentence on what is happening now, with counts where the stage has them."""
    if dataset.status == DatasetStatus.QUEUED:
        ahead, processing = dataset_queue_position(dataset=dataset)
        where = f"{_number(ahead)} dataset{'s' if ahead != 1 else ''} ahead" if ahead else "next in line"
        busy = f"; {_number(processing)} being processed now" if processing else ""
        return f"Waiting in the queue: {where}{busy}."
    if dataset.status == DatasetStatus.DONE:
        return "Finished: every record that passed the checks is saved."
    if dataset.status == DatasetStatus.FAILED:
        return "Failed: nothing of this dataset is saved."
    if dataset.status == DatasetStatus.DELETING:
        return "Being deleted."
    label = DatasetStage(dataset.stage).label
    if dataset.progress_total and dataset.stage == DatasetStage.PERSISTING:
        return f"{label}: {_number(dataset.progress_done)} of {_number(dataset.progress_total)} records."
    if dataset.progress_total and dataset.stage == DatasetStage.INDEXING:
        return f"{label}: {_number(dataset.progress_done)} of about {_number(dataset.progress_total)} entries."
    return f"{label}…"


def dataset_progress(*, dataset: Dataset) -> dict:
    """What the status endpoint sends and the pages render: the state of a dataset's processing."""
    return {
        "status": dataset.status,
        "status_label": DatasetStatus(dataset.status).label,
        "stage": dataset.stage,
        "stage_label": DatasetStage(dataset.stage).label,
        "percent": dataset.percent,
        "done": dataset.progress_done,
        "total": dataset.progress_total,
        "detail": _detail(dataset),
        "final": dataset.status in FINAL,
        "error": dataset.error or None,
        "counts": dataset.counts,
        "anomalies_total": dataset.anomalies_total,
    }


def dataset_file_rows(*, dataset: Dataset) -> list[dict]:
    """Per file, what happened to its records, in words that hold for done and failed datasets:
    a failed dataset keeps nothing, so its healthy records are "not saved", never "rejected"."""
    rows = []
    for file, counts in (dataset.counts or {}).items():
        source = (dataset.sources or {}).get(file, {})
        read = counts.get("rows_read", 0)
        duplicates = counts.get("rows_duplicate", 0)
        with_errors = counts.get("rows_with_errors", counts.get("rows_rejected", 0))
        rows.append(
            {
                "file": file,
                "source": source,
                "read": read,
                "unread": counts.get("rows_unread", 0),
                "saved": counts.get("rows_persisted", 0),
                "with_errors": with_errors,
                "duplicates": duplicates,
                # healthy records a failed dataset could not keep
                "not_saved": max(0, read - with_errors - duplicates) if dataset.status == DatasetStatus.FAILED else 0,
            }
        )
    return rows
