"""`manage.py ingest`: the same pipeline, synchronously, from the command line."""

import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import ROOT, SAMPLE_DIR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]


def _arguments(**overrides) -> list[str]:
    paths = {name: str(SAMPLE_DIR / f"{name}.csv") for name in ("namespaces", "datapoints", "columns")}
    paths.update(overrides)
    return ["--name", "Sample", *(item for name, path in paths.items() for item in (f"--{name}", path))]


def test_ingest_prints_the_summary_last_and_writes_the_reports(tmp_path, capsys):
    call_command("ingest", *_arguments(), "--report-dir", str(tmp_path))

    last_line = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last_line)
    assert summary["status"] == "done" and summary["anomalies_total"] == 10
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert (tmp_path / "anomalies.csv").read_text().startswith("file,line,field,code,severity,value,message\n")


def test_ingest_of_a_bad_dataset_exits_non_zero_with_one_line_reason(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    with pytest.raises(CommandError, match="dataset failed: .*namespaces"):
        call_command("ingest", *_arguments(namespaces=str(empty)))


def test_ingest_as_a_process_exits_1_on_a_missing_file():
    completed = subprocess.run(
        [sys.executable, "manage.py", "ingest", *_arguments(columns="/nonexistent.csv")],
        cwd=ROOT,
        env=os.environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert "no such file" in completed.stderr
