"""The status of each anomaly of a version: `new` or `known` against the previous done version
(the spec's "Reports"). One function decides it, so that triage can add `accepted` in one place:
a decision table keyed by dataset and fingerprint, read here after `known`."""

import numpy as np
import pandas as pd

from catalog import selectors
from engine import AnomalyStatus
from uploads.models import DatasetVersion, VersionStatus


def version_previous_done(*, version: DatasetVersion) -> DatasetVersion | None:
    """The dataset's latest done version before this one: in practice the current version when a
    new one is processed."""
    earlier = DatasetVersion.objects.filter(dataset_id=version.dataset_id, number__lt=version.number)
    return earlier.filter(status=VersionStatus.DONE).order_by("-number").first()


def anomalies_status(*, version: DatasetVersion, anomalies: pd.DataFrame) -> np.ndarray:
    """`known` for each anomaly whose fingerprint the previous done version's anomalies hold, `new`
    for the others (all of them for a first version). When the previous version's anomalies are no
    longer kept (retention dropped its collections), none can be matched: all are `new`."""
    statuses = np.full(len(anomalies), str(AnomalyStatus.NEW), dtype=object)
    previous = version_previous_done(version=version)
    if previous is None or not previous.records_kept or anomalies.empty:
        return statuses
    seen = selectors.anomaly_fingerprints_of(version=previous.records_key)
    statuses[anomalies["fingerprint"].isin(seen).to_numpy()] = str(AnomalyStatus.KNOWN)
    return statuses
