"""`manage.py ingest`: the same pipeline, synchronously, from the command line."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import ROOT, SAMPLE_DIR
from uploads.models import Dataset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _arguments(**overrides) -> list[str]:
    paths = {name: str(SAMPLE_DIR / f"{name}.csv") for name in ("namespaces", "datapoints", "columns")}
    paths.update(overrides)
    return ["--name", "Sample", *(item for name, path in paths.items() for item in (f"--{name}", path))]


def test_ingest_prints_the_summary_last_and_writes_the_reports(tmp_path, capsys):
    call_command("ingest", *_arguments(), "--report-dir", str(tmp_path))

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last_line)
    assert summary["status"] == "done"
    assert summary["anomalies_total"] == 10
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (
        (tmp_path / "anomalies.csv").read_text().startswith("file,line,field,code,severity,value,message,fix,status\n")
    )


def test_ingest_of_a_bad_dataset_exits_non_zero_with_one_line_reason(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    with pytest.raises(CommandError, match="version failed: .*namespaces"):
        call_command("ingest", *_arguments(namespaces=str(empty)))


def test_ingest_as_a_process_exits_1_on_a_missing_file():
    completed = subprocess.run(
        [sys.executable, "manage.py", "ingest", *_arguments(columns="/nonexistent.csv")],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 1
    assert "no such file" in completed.stderr


def test_ingest_with_dataset_adds_a_version_and_carries_the_files_left_out(tmp_path, capsys):
    call_command("ingest", *_arguments())
    dataset = Dataset.objects.get()
    columns = tmp_path / "columns.csv"
    columns.write_bytes((SAMPLE_DIR / "columns.csv").read_bytes().replace(b"tr_1y", b"tr_one_year"))

    call_command("ingest", "--dataset", str(dataset.pk), "--columns", str(columns))

    v1, v2 = dataset.versions.order_by("number")
    assert v2.number == 2
    assert v2.status == "done"
    assert v2.replaced_files == ["columns"]
    assert v2.namespaces.name == v1.namespaces.name
    assert v2.columns.name != v1.columns.name
    dataset.refresh_from_db()
    assert dataset.current_version == v2
    assert v2.compared_to == v1
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["status"] == "done"


def test_ingest_with_an_unknown_dataset_says_so():
    with pytest.raises(CommandError, match="no such dataset"):
        call_command("ingest", "--dataset", "not-a-uuid", "--columns", str(SAMPLE_DIR / "columns.csv"))
