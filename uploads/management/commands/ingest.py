"""Runs the whole pipeline synchronously on three local files (no worker needed)."""

import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from reports.storage import storage_read
from uploads.models import DatasetStatus
from uploads.services import dataset_create, dataset_process


class Command(BaseCommand):
    help = "Process a dataset from three CSV files; print its summary.json as the last line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--namespaces", required=True, type=Path)
        parser.add_argument("--datapoints", required=True, type=Path)
        parser.add_argument("--columns", required=True, type=Path)
        parser.add_argument("--report-dir", type=Path, help="also write anomalies.csv and summary.json here")

    def handle(self, *args, **options):
        paths = {file: options[file] for file in ("namespaces", "datapoints", "columns")}
        for file, path in paths.items():
            if not path.is_file():
                raise CommandError(f"--{file}: no such file: {path}")
        handles = {file: path.open("rb") for file, path in paths.items()}
        try:
            dataset = dataset_create(
                name=options["name"],
                owner=None,
                namespaces_file=File(handles["namespaces"], name="namespaces.csv"),
                datapoints_file=File(handles["datapoints"], name="datapoints.csv"),
                columns_file=File(handles["columns"], name="columns.csv"),
                enqueue=False,
            )
        finally:
            for handle in handles.values():
                handle.close()
        dataset = dataset_process(dataset_id=str(dataset.pk))
        summary = storage_read(key=dataset.summary_json_key) if dataset.summary_json_key else b"{}"
        if options["report_dir"]:
            report_dir: Path = options["report_dir"]
            report_dir.mkdir(parents=True, exist_ok=True)
            (report_dir / "summary.json").write_bytes(summary)
            if dataset.anomalies_csv_key:
                (report_dir / "anomalies.csv").write_bytes(storage_read(key=dataset.anomalies_csv_key))
        self.stdout.write(json.dumps(json.loads(summary), ensure_ascii=False))
        if dataset.status != DatasetStatus.DONE:
            raise CommandError(f"dataset failed: {dataset.error}")
