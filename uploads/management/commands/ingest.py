"""Processes a version synchronously from local files (no worker needed): a new dataset, or with
`--dataset <id>` a new version of an existing one (file options left out are carried over). The
files may be CSV or .xlsx; `--workbook F` gives one workbook holding the three files' sheets."""

import json
from contextlib import ExitStack
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from contract import FILES
from uploads.models import VERSION_FILES, Dataset, DatasetVersion, VersionStatus
from uploads.processing import version_process
from uploads.services import (
    DatasetBusy,
    dataset_create,
    dataset_create_from_workbook,
    version_create,
    version_create_from_workbook,
)


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


class Command(BaseCommand):
    help = "Process a dataset version from CSV or .xlsx files (or one workbook); print its summary.json last."

    def add_arguments(self, parser):
        parser.add_argument("--dataset", help="id of an existing dataset: add a version to it")
        parser.add_argument("--name", help="name of a new dataset (without --dataset)")
        for file in FILES:
            parser.add_argument(f"--{file}", type=Path)
        parser.add_argument("--workbook", type=Path, help="one .xlsx with a sheet per file, instead of the three files")
        parser.add_argument("--report-dir", type=Path, help="also write anomalies.csv and summary.json here")

    def handle(self, *args, **options):
        paths = {file: options[file] for file in FILES if options[file] is not None}
        for file, path in paths.items():
            if not path.is_file():
                raise CommandError(f"--{file}: no such file: {path}")
        workbook: Path | None = options["workbook"]
        if workbook is not None and paths:
            raise CommandError("give either the three files or --workbook, not both")
        if workbook is not None and not workbook.is_file():
            raise CommandError(f"--workbook: no such file: {workbook}")
        dataset = self._dataset(options)
        if dataset is None and (not options["name"] or (len(paths) < len(FILES) and workbook is None)):
            raise CommandError(
                "a new dataset needs --name and all three files or --workbook (or --dataset <id> for a new version)"
            )
        if dataset is not None and not paths and workbook is None:
            raise CommandError("give at least one file to replace, or --workbook")
        version = self._version_create(dataset=dataset, name=options["name"], paths=paths, workbook=workbook)
        version = version_process(version_id=str(version.pk))
        summary = _read(version.summary_json) if version.summary_json else b"{}"
        if options["report_dir"]:
            report_dir: Path = options["report_dir"]
            report_dir.mkdir(parents=True, exist_ok=True)
            (report_dir / VERSION_FILES["summary_json"].name).write_bytes(summary)
            if version.anomalies_csv:
                (report_dir / VERSION_FILES["anomalies_csv"].name).write_bytes(_read(version.anomalies_csv))
        self.stderr.write(f"dataset {version.dataset_id} version {version.number}: {version.status}")
        self.stdout.write(json.dumps(json.loads(summary), ensure_ascii=False))
        if version.status != VersionStatus.DONE:
            raise CommandError(f"version failed: {version.error}")

    def _version_create(
        self, *, dataset: Dataset | None, name: str, paths: dict[str, Path], workbook: Path | None
    ) -> DatasetVersion:
        """The new dataset's first version, or the dataset's next one, from the files or the workbook."""
        with ExitStack() as stack:
            files = {file: File(stack.enter_context(path.open("rb")), name=path.name) for file, path in paths.items()}
            try:
                if workbook is not None:
                    book = File(stack.enter_context(workbook.open("rb")), name=workbook.name)
                    if dataset is None:
                        return dataset_create_from_workbook(name=name, owner=None, workbook=book, enqueue=False)
                    return version_create_from_workbook(dataset=dataset, created_by=None, workbook=book, enqueue=False)
                if dataset is None:
                    return dataset_create(name=name, owner=None, files=files, enqueue=False)
                return version_create(dataset=dataset, created_by=None, files=files, enqueue=False)
            except DatasetBusy as exc:
                raise CommandError(str(exc)) from exc

    def _dataset(self, options) -> Dataset | None:
        if not options["dataset"]:
            return None
        try:
            return Dataset.objects.get(pk=options["dataset"], deleting=False)
        except (Dataset.DoesNotExist, ValidationError) as exc:
            raise CommandError(f"--dataset: no such dataset: {options['dataset']}") from exc
