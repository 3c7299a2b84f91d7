"""A version's anomaly pages rebuilt after a triage decision, so that its counts, "needs attention"
and its groups follow the decision at once rather than from the next version.

Runs as a job (`uploads.triage.STATUSES_JOB`, light queue): the version's anomalies are read back
(about 13,000 at a million columns), each gets its status again, the pages that hold statuses are
written under the dataset's triage revision (`catalog.persistence.status_nodes_persist`), then
published with one conditional UPDATE, so a slower run for an older decision never replaces the
pages of a newer one. The pages of older revisions go, but the ones just replaced: a page being
read at that moment may still need them.
"""

import logging

import numpy as np
from django.utils import timezone

from catalog.persistence import anomalies_read, status_nodes_persist, status_nodes_prune
from contract import AnomalyStatus
from uploads.anomaly_status import anomalies_accepted, anomalies_status
from uploads.models import DatasetVersion, VersionStatus

logger = logging.getLogger(__name__)


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
    # Written before `known` was kept: an anomaly not `new` was seen before (accepted ones included).
    stored = anomalies["known"]
    known = np.where(stored.isna(), anomalies["status"] != str(AnomalyStatus.NEW), stored.eq(True))
    accepted = anomalies_accepted(dataset_id=version.dataset_id, anomalies=anomalies)
    anomalies["status"] = anomalies_status(known=known, accepted=accepted)
    status_nodes_persist(version=key, anomalies=anomalies, revision=revision)
    published = (
        DatasetVersion.objects.filter(pk=version.pk, statuses_revision__lt=revision).update(
            statuses_revision=revision, statuses_rebuilt=True, statuses_on=timezone.localdate()
        )
        == 1
    )
    # A newer revision may be being written by another run: never touched here.
    kept = {revision, shown} if published else {DatasetVersion.objects.get(pk=version.pk).status_pages}
    status_nodes_prune(version=key, keep=lambda stored: stored in kept or stored > revision)
    return published


def version_statuses_give_up(*, object_id: str, reason: str) -> None:
    """Nothing to mark: the pages stay as they were, and the rows show the decisions anyway
    (`uploads.anomaly_status.items_status_shown`); the next decision tries again."""
    logger.warning("the anomaly pages of version %s were not rebuilt: %s", object_id, reason)
