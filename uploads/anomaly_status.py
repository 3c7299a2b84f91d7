"""The status of each anomaly of a version: `new` or `known` against the previous done version,
`accepted` when a person accepted it or its group (the spec's "Reports"). One module decides it:
`anomalies_status` at processing time and when a decision rebuilds the current version's pages
(`uploads.status_pages`), `items_status_shown` for the few items a page shows (so a decision shows
on them even before that rebuild)."""

from __future__ import annotations

import datetime
from collections import Counter
from typing import TYPE_CHECKING

import numpy as np
from django.db.models import Q
from django.utils import timezone

from catalog import selectors
from contract import AnomalyStatus, anomaly_group_fingerprint
from uploads.models import AnomalyAcceptance, DatasetVersion, VersionStatus

if TYPE_CHECKING:
    import pandas as pd


def version_previous_done(*, version: DatasetVersion) -> DatasetVersion | None:
    """The dataset's latest done version before this one: in practice the current version when a
    new one is processed."""
    earlier = DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
    return earlier.filter(status=VersionStatus.DONE).order_by("-number").first()


def acceptances_active(*, dataset_id, fingerprints=None, today: datetime.date | None = None) -> set[str]:
    """The fingerprints (of anomalies and of groups) a person accepted for the dataset and whose
    `until` day has not passed (`today`, by default the local date); only those among
    `fingerprints` when given (a page's few)."""
    today = today or timezone.localdate()
    query = AnomalyAcceptance.objects.filter(dataset_id=dataset_id).filter(Q(until__isnull=True) | Q(until__gte=today))
    if fingerprints is not None:
        query = query.filter(fingerprint__in=list(fingerprints))
    return set(query.values_list("fingerprint", flat=True))


def anomalies_known(*, version: DatasetVersion, anomalies: pd.DataFrame) -> np.ndarray:
    """True for each anomaly whose fingerprint the previous done version's anomalies hold (none for
    a first version, nor when retention dropped the previous version's collections). Kept with
    each anomaly (`known`), so a later triage decision never has to ask that version again."""
    known = np.zeros(len(anomalies), dtype=bool)
    if anomalies.empty:
        return known
    previous = version_previous_done(version=version)
    if previous is not None and previous.records_kept:
        seen = selectors.anomaly_fingerprints_of(version=previous.records_key)
        known = anomalies["fingerprint"].isin(seen).to_numpy()
    return known


def anomalies_accepted(*, dataset_id, anomalies: pd.DataFrame, today: datetime.date) -> np.ndarray:
    """True for each anomaly whose fingerprint, or whose group's, a person accepted (and not past
    its `until` day on `today`: the day kept as the statuses' `statuses_on`)."""
    # The worker's side (processing, the status pages' rebuild): the pages import this module
    # without pandas or the engine.
    import pandas as pd

    from engine import anomaly_group_fingerprints

    accepted = acceptances_active(dataset_id=dataset_id, today=today)
    if not accepted or anomalies.empty:
        return np.zeros(len(anomalies), dtype=bool)
    groups = pd.Series(anomaly_group_fingerprints(anomalies), index=anomalies.index)
    return (anomalies["fingerprint"].isin(accepted) | groups.isin(accepted)).to_numpy()


def anomalies_status(*, known: np.ndarray, accepted: np.ndarray) -> np.ndarray:
    """`accepted`, else `known`, else `new`, for each anomaly."""
    statuses = np.where(known, str(AnomalyStatus.KNOWN), str(AnomalyStatus.NEW)).astype(object)
    statuses[accepted] = str(AnomalyStatus.ACCEPTED)
    return statuses


def item_group(item: dict) -> str:
    """The group fingerprint of one anomaly or group item as a page holds it."""
    return anomaly_group_fingerprint(
        file=str(item.get("file") or ""),
        code=str(item.get("code") or ""),
        field=str(item.get("field") or ""),
        value=str(item.get("value") or ""),
    )


def items_status_shown(*, dataset_id, items: list[dict]) -> list[dict]:
    """The items of a page with the status they have now: `accepted` when an acceptance holds their
    fingerprint or their group's (one query for the page), with `accepted_fingerprint` (what undo
    removes) and the `acceptance` itself (note, who, when, until). An item stored as accepted whose
    acceptance was undone since shows as `known` (the team saw it in an earlier version)."""
    wanted = {item_group(item) for item in items} | {item.get("fingerprint") or "" for item in items}
    active = AnomalyAcceptance.objects.filter(dataset_id=dataset_id, fingerprint__in=list(wanted - {""})).filter(
        Q(until__isnull=True) | Q(until__gte=timezone.localdate())
    )
    accepted = {acceptance.fingerprint: acceptance for acceptance in active.select_related("accepted_by")}
    shown = []
    for item in items:
        group = item_group(item)
        own = item.get("fingerprint") or ""
        match = own if own in accepted else group if group in accepted else ""
        status = item.get("status") or ""
        if match:
            status = str(AnomalyStatus.ACCEPTED)
        elif status == AnomalyStatus.ACCEPTED:
            status = str(AnomalyStatus.KNOWN)
        shown.append(
            {**item, "status": status, "group": group, "accepted_fingerprint": match, "acceptance": accepted.get(match)}
        )
    return shown


def groups_status_counts(*, version: DatasetVersion, items: list[dict]) -> dict[str, dict[str, int]]:
    """Per group (its fingerprint), its anomalies per status as the version's pages hold them: kept
    with each group of the pages; for a version processed before they were, counted from the group's
    anomalies, one read per page of them. All zero for a version processed before anomalies had a status."""
    counts = {}
    for item in items:
        if all(str(status) in item for status in AnomalyStatus):
            counts[item["group"]] = {str(status): int(item[str(status)]) for status in AnomalyStatus}
            continue
        anomalies = selectors.anomaly_group_items(
            version=version.records_key, group=item["group"], statuses=version.status_pages
        )
        found = Counter(str(anomaly.get("status") or "") for anomaly in anomalies)
        counts[item["group"]] = {str(status): found.get(str(status), 0) for status in AnomalyStatus}
    return counts
