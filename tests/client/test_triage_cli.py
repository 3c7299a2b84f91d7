"""The fix loop from a script: `zemoga-datasets groups`, `accept`, `undo`, `fix` and `rejected`
against a live server and a real worker, with the exit codes a pipeline reads."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.auth import get_user_model

from api.tokens import token_create
from contract import anomaly_group_fingerprint
from tests.client.test_cli import _files, _ids, zemoga

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

N9 = ("--file", "columns", "--code", "unknown-reference", "--field", "namespace_id", "--value", "N9")


def test_groups_accept_undo_rejected_rows_and_fixes_from_the_command_line(site, sample_paths, tmp_path):
    upload = zemoga("upload", "--name", "Sample", *_files(sample_paths), "--wait", "--interval", "0.5")
    assert upload.returncode == 1, upload.stderr
    dataset_id, version_id = _ids(upload.stdout)

    # the groups, as JSON, CSV and a table
    groups = json.loads(zemoga("groups", version_id, "--format", "json").stdout)
    assert len(groups) == 10
    by_value = {group["value"]: group for group in groups}
    assert by_value["N9"]["statuses"] == {"new": 1, "known": 0, "accepted": 0}
    fixable = {group["group"] for group in groups if group["fixable"]}
    assert by_value[" tr_3y "]["group"] in fixable
    rows = list(csv.DictReader(io.StringIO(zemoga("groups", version_id, "--format", "csv").stdout)))
    assert {row["group"] for row in rows} == {group["group"] for group in groups}
    assert {row["fixable"] for row in rows} == {"yes", "no"}
    table = zemoga("groups", version_id, "--severity", "error").stdout.splitlines()
    assert table[0].split() == ["severity", "file", "code", "field", "value", "count", "fixable", "group"]
    assert len(table) == 4

    # a group accepted with a note shows on its group; undone, it is gone (a second undo: exit 3)
    accepted = zemoga("accept", dataset_id, *N9, "--note", "known gap", "--until", "2999-12-31")
    assert accepted.returncode == 0, accepted.stderr
    fingerprint = anomaly_group_fingerprint(file="columns", code="unknown-reference", field="namespace_id", value="N9")
    assert accepted.stdout.split() == ["accepted", "group", fingerprint, "until", "2999-12-31"]
    shown = json.loads(zemoga("groups", version_id, "--code", "unknown-reference", "--format", "json").stdout)
    assert [group["acceptance"]["note"] for group in shown if group["acceptance"]] == ["known gap"]
    assert zemoga("undo", dataset_id, fingerprint).returncode == 0
    again = zemoga("undo", dataset_id, fingerprint)
    assert again.returncode == 3
    assert "404" in again.stderr
    wrong = zemoga("accept", dataset_id, "--file", "columns", "--code", "blank-row", "--anomaly", "nope")
    assert wrong.returncode == 3
    assert "422" in wrong.stderr
    assert "fingerprint" in wrong.stderr

    # another user reads but does not accept
    reader = token_create(user=get_user_model().objects.create_user(username="reader"), name="t").secret
    refused = zemoga("accept", dataset_id, *N9, env={"ZEMOGA_TOKEN": reader})
    assert refused.returncode == 3
    assert "403" in refused.stderr

    # the rejected rows, to a file and to standard output
    output = tmp_path / "rejected.csv"
    assert zemoga("rejected", version_id, "columns", "--output", str(output)).returncode == 0
    rejected = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8-sig"))))
    assert [(row[0], row[-1]) for row in rejected] == [("column_id", "source_line"), ("C6", "7"), ("C8", "9")]
    assert zemoga("rejected", version_id, "namespaces").stdout.splitlines()[1:] == ["N4,,ORPHAN,6"]

    # the fixes: one group's file into a folder, every sure fix as a ZIP, then a new version from them
    folder = tmp_path / "fixed"
    folder.mkdir()
    one = zemoga("fix", version_id, "--group", by_value[" tr_3y "]["group"], "--download", str(folder))
    assert one.returncode == 0, one.stderr
    assert (folder / "sample-v1-fixed-columns.csv").read_bytes().count(b",tr_3y,") == 1
    bundle_path = tmp_path / "all.zip"
    assert zemoga("fix", version_id, "--all-fixable", "--download", str(bundle_path)).returncode == 0
    assert sorted(zipfile.ZipFile(bundle_path).namelist()) == ["columns.csv", "namespaces.csv"]
    assert zemoga("fix", version_id, "--download", str(folder)).returncode == 3  # no group
    made = zemoga("fix", version_id, "--all-fixable", "--version", "--wait", "--interval", "0.5")
    assert made.returncode == 1, made.stderr  # the unknown references are still there
    _, second = _ids(made.stdout)
    codes = {group["code"] for group in json.loads(zemoga("groups", second, "--format", "json").stdout)}
    assert not codes & {"whitespace", "duplicate-row"}
    assert "unknown-reference" in codes
    older = zemoga("fix", version_id, "--all-fixable", "--version")
    assert older.returncode == 3
    assert "latest version only" in older.stderr
