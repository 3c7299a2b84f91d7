"""A version's anomaly pages rebuilt after a triage decision, so that its counts, "needs attention"
and its groups follow the decision at once rather than from the next version.

Runs as a job (`uploads.triage.STATUSES_JOB`, light queue): the version's anomalies are read back
(about 13,000 at a million columns), each gets its status again, the pages that hold statuses are
written under the dataset's triage revision (`catalog.persistence.status_nodes_persist`), then
published with one conditional UPDATE, so a slower run for an older decision never replaces the
pages of a newer one. The pages of older revisions go then, but those a page may still be reading:
the ones this run found published when it started, and any published since.
"""

import numpy as np
from django.utils import timezone

from catalog.persistence import anomalies_read, status_nodes_persist, status_nodes_prune
from contract import AnomalyStatus
from engine import anomaly_fingerprints
from uploads.anomaly_status import anomalies_accepted, anomalies_known, anomalies_status
from uploads.models import DatasetVersion, VersionStatus


def version_statuses_refresh(*, version_id: str) -> bool:
    """Rebuilds the version's status pages at its dataset's triage revision; True when they were
    published (False: nothing to do, or a newer decision's pages were published first)."""
    version = DatasetVersion.objects.select_related("dataset").filter(pk=version_id).first()
    if version is None or version.status != VersionStatus.DONE or not version.records_kept:
        return False
    revision, shown = version.dataset.triage_revision, version.status_pages
    if version.statuses_revision >= revision:
        return False
    key = version.records_key
    anomalies = anomalies_read(version=key)
    unset = (anomalies["fingerprint"].isna() | anomalies["fingerprint"].eq("")).to_numpy()
    if unset.any():  # stored before anomalies had one: as the engine computes it
        anomalies["fingerprint"] = anomalies["fingerprint"].astype(object)
        anomalies.loc[unset, "fingerprint"] = anomaly_fingerprints(anomalies[unset])
    anomalies["known"] = _known(version, anomalies)
    today = timezone.localdate()
    accepted = anomalies_accepted(dataset_id=version.dataset_id, anomalies=anomalies, today=today)
    anomalies["status"] = anomalies_status(known=anomalies["known"].to_numpy(), accepted=accepted)
    status_nodes_persist(version=key, anomalies=anomalies, revision=revision)
    published = (
        DatasetVersion.objects.filter(pk=version.pk, statuses_revision__lt=revision).update(
            statuses_revision=revision, statuses_rebuilt=True, statuses_on=today
        )
        == 1
    )
    if published:
        # Pages may still read what they read when this run started (`shown`) or anything since:
        # those go with the next publish. Newer revisions may be being written by other runs.
        status_nodes_prune(version=key, keep=lambda stored: stored >= shown)
    elif DatasetVersion.objects.get(pk=version.pk).status_pages != revision:
        status_nodes_prune(version=key, keep=lambda stored: stored != revision)  # its own pages, never read
    return published


def _known(version: DatasetVersion, anomalies) -> np.ndarray:
    """Whether the previous version had each anomaly, as kept with it; for anomalies stored before
    `known` was: not `new` means seen before (accepted ones included), and with no status at all
    (stored before statuses) the previous version is asked, if it is still kept."""
    stored, status = anomalies["known"], anomalies["status"]
    missing = stored.isna().to_numpy()
    known = np.where(missing, status.isin([str(AnomalyStatus.KNOWN), str(AnomalyStatus.ACCEPTED)]), stored.eq(True))
    no_status = missing & (status.isna() | status.eq("")).to_numpy()
    if no_status.any():
        known[no_status] = anomalies_known(version=version, anomalies=anomalies)[no_status]
    return known.astype(bool)
