"""A triage decision on the current version: its anomaly pages are rebuilt at the new triage revision
(`uploads.status_pages`), so counts, "needs attention" and the groups follow at once. Run in this
process against FerretDB; the job's queueing is checked on the outbox."""

import datetime

import pytest
from django.utils import timezone

from catalog import selectors
from catalog.mongo import (
    VERSION_COLLECTIONS,
    status_revisions_stored,
    version_collection,
    version_collections_stored,
    version_documents_drop,
)
from jobs.models import JobLease
from tests.factories import processed_dataset, upload_files
from uploads import processing, status_pages
from uploads.models import AcceptanceScope, Dataset, DatasetVersion
from uploads.processing import version_process
from uploads.services import version_create
from uploads.status_pages import version_statuses_refresh
from uploads.triage import STATUSES_JOB, AnomalyChosen, anomaly_accept, anomaly_accept_undo, triage_lapses_follow

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo", "broker")]

# The sample's ten anomalies, one per group, with the whitespace group accepted.
ATTENTION_NINE = {"needs attention": 9, "groups needing attention": 9}
WHITESPACE = AnomalyChosen(file="columns", code="whitespace", field="dataset_column_name", value=" tr_3y ")


def _counts(version: DatasetVersion) -> dict[str, int]:
    """What the anomaly pages count: each status, and "needs attention"."""
    version.refresh_from_db()
    key, shown = version.records_key, version.status_pages
    counts = {
        status: selectors.anomalies_list(version=key, status=status, statuses=shown).paginator.count
        for status in ("new", "known", "accepted")
    }
    counts["needs attention"] = selectors.anomalies_needing_attention(version=key, statuses=shown).paginator.count
    counts["groups needing attention"] = selectors.anomaly_groups_list(version=key, statuses=shown).paginator.count
    return counts


def _queued(version: DatasetVersion) -> bool:
    return JobLease.objects.filter(kind=STATUSES_JOB, object_id=str(version.pk), state="queued").exists()


def test_accepting_on_the_current_version_moves_the_counts_once_its_pages_are_rebuilt(sample_files):
    dataset = processed_dataset(sample_files)
    version = dataset.current_version
    before = _counts(version)
    assert before == {"new": 10, "known": 0, "accepted": 0, "needs attention": 10, "groups needing attention": 10}

    # when a group is accepted: a new triage revision, and the job to rebuild the pages queued
    anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE, note="padded")
    assert Dataset.objects.get(pk=dataset.pk).triage_revision == 1
    assert _queued(version)
    assert _counts(version) == before  # until the job runs, the pages are as processed

    # then once it ran, the group is accepted and out of "needs attention"
    assert version_statuses_refresh(version_id=str(version.pk)) is True
    version.refresh_from_db()
    assert (version.statuses_revision, version.statuses_rebuilt) == (1, True)
    assert _counts(version) == {"new": 9, "known": 0, "accepted": 1, **ATTENTION_NINE}
    accepted = selectors.anomalies_list(version=version.records_key, status="accepted", statuses=1).object_list
    assert [(item["code"], item["value"]) for item in accepted] == [("whitespace", " tr_3y ")]
    # running it again has nothing to do
    assert version_statuses_refresh(version_id=str(version.pk)) is False

    # and undoing it brings the counts back, the pages of revision 1 kept while revision 2 replaces them
    fingerprint = dataset.acceptances.get().fingerprint
    assert anomaly_accept_undo(dataset=dataset, fingerprint=fingerprint) is True
    assert version_statuses_refresh(version_id=str(version.pk)) is True
    assert _counts(version) == before
    assert status_revisions_stored(version=version.records_key) == [1, 2]
    # and they are the version's collections: found by the orphan sweep, dropped with the version
    assert len(version_collections_stored()[version.records_key]) == len(VERSION_COLLECTIONS) + 2
    version_documents_drop(version=version.records_key)
    assert status_revisions_stored(version=version.records_key) == []


def test_rebuilt_pages_without_a_change_are_the_pages_written_with_the_version(sample_files):
    dataset = processed_dataset(sample_files)
    version = dataset.current_version
    Dataset.objects.filter(pk=dataset.pk).update(triage_revision=1)  # a decision made and undone

    assert version_statuses_refresh(version_id=str(version.pk)) is True

    key = version.records_key
    for filters in ({}, {"file": "columns"}, {"code": "whitespace"}, {"severity": "error"}, {"status": "new"}):
        processed = selectors.anomalies_list(version=key, **filters)
        rebuilt = selectors.anomalies_list(version=key, statuses=1, **filters)
        assert rebuilt.object_list == processed.object_list
        assert rebuilt.paginator.count == processed.paginator.count
        groups = selectors.anomaly_groups_list(version=key, **filters).object_list
        assert selectors.anomaly_groups_list(version=key, statuses=1, **filters).object_list == groups
    group = groups[0]["group"]
    assert selectors.anomaly_group_items(version=key, group=group, statuses=1) == selectors.anomaly_group_items(
        version=key, group=group
    )


def test_a_slower_run_for_an_older_decision_never_replaces_a_newer_one(sample_files, monkeypatch):
    dataset = processed_dataset(sample_files)
    version = dataset.current_version
    anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE)
    write = status_pages.status_nodes_persist

    def newer_decision_meanwhile(**kwargs) -> int:
        # while the run for revision 1 writes, the decision is undone and its run finishes first
        written = write(**kwargs)
        if kwargs["revision"] == 1:
            anomaly_accept_undo(dataset=dataset, fingerprint=dataset.acceptances.get().fingerprint)
            assert version_statuses_refresh(version_id=str(version.pk)) is True
        return written

    monkeypatch.setattr(status_pages, "status_nodes_persist", newer_decision_meanwhile)
    assert version_statuses_refresh(version_id=str(version.pk)) is False

    assert _counts(version)["accepted"] == 0
    assert version.statuses_revision == 2
    assert status_revisions_stored(version=version.records_key) == [2]  # the older run dropped its own pages


def test_a_decision_made_while_a_version_is_processed_is_applied_once_it_is_published(sample_files, monkeypatch):
    dataset = processed_dataset(sample_files)
    compare = processing._compare

    def accept_meanwhile(version, result, progress) -> None:
        # after the statuses were given and written, before the version is published
        anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE)
        compare(version, result, progress)

    monkeypatch.setattr(processing, "_compare", accept_meanwhile)
    second = version_create(dataset=dataset, created_by=None, files=upload_files(sample_files), enqueue=False)
    version_process(version_id=str(second.pk))
    second.refresh_from_db()
    assert Dataset.objects.get(pk=dataset.pk).current_version_id == second.pk
    assert (second.statuses_revision, Dataset.objects.get(pk=dataset.pk).triage_revision) == (0, 1)
    assert _counts(second)["accepted"] == 0

    # publishing it queued the rebuild, which applies the decision
    assert _queued(second)
    assert version_statuses_refresh(version_id=str(second.pk)) is True
    assert _counts(second) == {"new": 0, "known": 9, "accepted": 1, **ATTENTION_NINE}


def test_pages_of_anomalies_stored_before_known_was_kept_keep_known_and_new_apart(sample_files):
    dataset = processed_dataset(sample_files)
    second = version_create(dataset=dataset, created_by=None, files=upload_files(sample_files), enqueue=False)
    version_process(version_id=str(second.pk))
    second.refresh_from_db()
    anomalies = version_collection(version=second.records_key, kind="anomalies")
    assert anomalies.count_documents({"known": True}) == 10
    anomalies.update_many({}, {"$unset": {"known": ""}})  # as a version processed before it was kept

    anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE)
    assert version_statuses_refresh(version_id=str(second.pk)) is True
    assert _counts(second) == {"new": 0, "known": 9, "accepted": 1, **ATTENTION_NINE}


def test_an_acceptance_whose_day_passed_is_taken_out_of_the_counts_by_the_hourly_check(sample_files):
    dataset = processed_dataset(sample_files)
    version = dataset.current_version
    today = timezone.localdate()
    anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE, until=today)
    assert version_statuses_refresh(version_id=str(version.pk)) is True
    assert _counts(version)["accepted"] == 1
    assert triage_lapses_follow() == 0  # it still holds today

    # the next day: accepted until yesterday, statuses given yesterday
    yesterday = today - datetime.timedelta(days=1)
    dataset.acceptances.update(until=yesterday)
    DatasetVersion.objects.filter(pk=version.pk).update(statuses_on=yesterday)
    assert triage_lapses_follow() == 1
    assert _queued(version)
    assert version_statuses_refresh(version_id=str(version.pk)) is True
    assert _counts(version)["accepted"] == 0
    assert triage_lapses_follow() == 0  # once is enough


def test_pages_a_reader_may_still_be_reading_are_kept_until_the_next_publish(sample_files, monkeypatch):
    # given a run for revision 2 that started while the version's pages were those it was processed with
    dataset = processed_dataset(sample_files)
    version = dataset.current_version
    anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE)
    Dataset.objects.filter(pk=dataset.pk).update(triage_revision=2)
    write = status_pages.status_nodes_persist

    def older_run_publishes_meanwhile(**kwargs) -> int:
        # while it writes, a run for revision 1 publishes its pages, which pages start reading
        write(version=kwargs["version"], anomalies=kwargs["anomalies"], revision=1)
        DatasetVersion.objects.filter(pk=version.pk).update(statuses_revision=1, statuses_rebuilt=True)
        return write(**kwargs)

    monkeypatch.setattr(status_pages, "status_nodes_persist", older_run_publishes_meanwhile)
    assert version_statuses_refresh(version_id=str(version.pk)) is True

    # then revision 1's pages stay for the readers who started on them; the next publish drops them
    assert status_revisions_stored(version=version.records_key) == [1, 2]
    monkeypatch.undo()
    anomaly_accept_undo(dataset=dataset, fingerprint=dataset.acceptances.get().fingerprint)
    assert version_statuses_refresh(version_id=str(version.pk)) is True
    assert status_revisions_stored(version=version.records_key) == [2, 3]


def test_anomalies_stored_before_statuses_and_fingerprints_ask_the_previous_version(sample_files):
    dataset = processed_dataset(sample_files)
    second = version_create(dataset=dataset, created_by=None, files=upload_files(sample_files), enqueue=False)
    version_process(version_id=str(second.pk))
    second.refresh_from_db()
    anomalies = version_collection(version=second.records_key, kind="anomalies")
    anomalies.update_many({}, {"$unset": {"known": "", "status": "", "fingerprint": ""}})  # the oldest form

    anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=WHITESPACE)
    assert version_statuses_refresh(version_id=str(second.pk)) is True
    assert _counts(second) == {"new": 0, "known": 9, "accepted": 1, **ATTENTION_NINE}
