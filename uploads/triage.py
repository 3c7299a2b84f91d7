"""Triage: a person accepts an anomaly or a group of them, with a note and optionally until a day,
and undoes it in one step. Decisions are kept per dataset by fingerprint (`AnomalyAcceptance`), so
every later version gives the same anomalies the status `accepted` (`uploads.anomaly_status`)."""

import datetime
from dataclasses import dataclass

from django.db import transaction

from contract import anomaly_group_fingerprint
from uploads.models import AcceptanceScope, AnomalyAcceptance, Dataset


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
    return acceptance


def anomaly_accept_undo(*, dataset: Dataset, fingerprint: str) -> bool:
    """Removes the decision; False when there was none."""
    deleted, _ = AnomalyAcceptance.objects.filter(dataset=dataset, fingerprint=fingerprint).delete()
    return bool(deleted)
