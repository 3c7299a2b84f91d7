"""Triage: a person accepts an anomaly or a group of them, with a note and optionally until a day,
and undoes it in one step. Decisions are kept per dataset by fingerprint (`AnomalyAcceptance`), so
every later version gives the same anomalies the status `accepted` (`uploads.anomaly_status`), and
the current version's anomaly pages are rebuilt with it by a job (`uploads.status_pages`)."""

import datetime
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from contract import anomaly_group_fingerprint
from jobs.outbox import job_enqueue
from uploads.models import AcceptanceScope, AnomalyAcceptance, Dataset, DatasetVersion

STATUSES_JOB = "version.statuses"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnomalyChosen:
    """What a person accepts: an anomaly (by its fingerprint) or the group of file, code, field and value."""

    file: str
    code: str
    field: str = ""
    value: str = ""
    fingerprint: str = ""


@transaction.atomic
def anomaly_accept(
    *, dataset: Dataset, user, scope: str, chosen: AnomalyChosen, note: str = "", until: datetime.date | None = None
) -> AnomalyAcceptance:
    """Accepts one anomaly (its `fingerprint`) or the group of file, code, field and value (whose
    fingerprint is computed here, never taken from the request). Accepting again replaces the
    note, the day and who accepted it."""
    file, code, field, value, fingerprint = chosen.file, chosen.code, chosen.field, chosen.value, chosen.fingerprint
    if scope == AcceptanceScope.GROUP:
        fingerprint = anomaly_group_fingerprint(file=file, code=code, field=field, value=value)
    acceptance, _ = AnomalyAcceptance.objects.update_or_create(
        dataset=dataset,
        fingerprint=fingerprint,
        defaults={
            "scope": scope,
            "file": file,
            "code": code,
            "field": field,
            "value": value[:200],
            "note": note,
            "until": until,
            "accepted_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    _triage_changed(dataset)
    return acceptance


@transaction.atomic
def anomaly_accept_undo(*, dataset: Dataset, fingerprint: str) -> bool:
    """Removes the decision; False when there was none."""
    deleted, _ = AnomalyAcceptance.objects.filter(dataset=dataset, fingerprint=fingerprint).delete()
    if deleted:
        _triage_changed(dataset)
    return bool(deleted)


def _triage_changed(dataset: Dataset) -> None:
    """A decision was made (in the caller's transaction): a new triage revision, and the current
    version's anomaly pages rebuilt at it once the transaction commits."""
    Dataset.objects.filter(pk=dataset.pk).update(triage_revision=F("triage_revision") + 1)
    current = Dataset.objects.filter(pk=dataset.pk).values_list("current_version_id", flat=True).first()
    if current is not None:
        job_enqueue(kind=STATUSES_JOB, object_id=str(current))


def version_statuses_follow(*, version: DatasetVersion) -> None:
    """A version just published: its anomaly pages follow the decisions made while it was processed
    (its statuses were given with the revision read before them)."""
    revision = Dataset.objects.values_list("triage_revision", flat=True).get(pk=version.dataset_id)
    if revision > version.statuses_revision:
        job_enqueue(kind=STATUSES_JOB, object_id=str(version.pk))


def version_statuses_give_up(*, object_id: str, reason: str) -> None:
    """Nothing to mark: the pages stay as they were, and the rows show the decisions anyway
    (`uploads.anomaly_status.items_status_shown`); the next decision tries again."""
    logger.warning("the anomaly pages of version %s were not rebuilt: %s", object_id, reason)


def version_statuses_finished(*, object_id: str) -> bool:
    """The job has nothing left to do: the version is gone, or its pages are at its dataset's revision."""
    version = DatasetVersion.objects.select_related("dataset").filter(pk=object_id).first()
    return version is None or version.statuses_revision >= version.dataset.triage_revision


def triage_lapses_follow() -> int:
    """Celery beat's hourly entry: the datasets whose current version's statuses were given while an
    acceptance held that has lapsed since (its `until` day passed) get their pages rebuilt, as for a
    decision. Returns how many."""
    lapsed = AnomalyAcceptance.objects.filter(
        until__lt=timezone.localdate(), until__gte=F("dataset__current_version__statuses_on")
    )
    datasets = Dataset.objects.filter(pk__in=lapsed.values("dataset_id"))
    for dataset in datasets:
        with transaction.atomic():
            _triage_changed(dataset)
    return len(datasets)
