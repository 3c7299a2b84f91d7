"""Writes a generated sample dataset and the anomalies the pipeline must find in it (groundtruth/),
or (`--zip`) the three files as the zip the help page offers (`uploads/samples/sample-dataset.zip`)."""

import time
import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand

from contract import FILES
from groundtruth import VARIANTS, SampleDataset, sample_generate, sample_write

DELIMITERS = {",": ",", ";": ";", "tab": "\t", "\t": "\t", "|": "|"}
LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
# The help page's sample (`uploads.views.help.SAMPLE_ZIP`): built ahead of time, since the
# generator uses pandas, which the web process never imports.
HELP_SAMPLE = {"scale": 1, "seed": 8}


def sample_zip(sample: SampleDataset, path: Path) -> None:
    """The sample's three files in one zip, under `sample/`, each dated 1980-01-01 (no build time)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in FILES:
            archive.writestr(
                zipfile.ZipInfo(f"sample/{file}.csv", date_time=(1980, 1, 1, 0, 0, 0)),
                sample.files[file],
                zipfile.ZIP_DEFLATED,
            )


class Command(BaseCommand):
    help = "Generate namespaces/datapoints/columns CSV files with known anomalies, and their expected report."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--out", type=Path, help="folder to write the files and the expected report into")
        target.add_argument("--zip", type=Path, help="a zip to write the three files into, as the help page offers")
        parser.add_argument(
            "--scale", type=int, default=1, help="1: 20/500/10,000 records; 100: 2,000/50,000/1,000,000"
        )
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--delimiter", choices=sorted(DELIMITERS), default=",")
        parser.add_argument("--line-ending", choices=sorted(LINE_ENDINGS), default="lf")
        parser.add_argument("--bom", action="store_true", help="start each file with a UTF-8 byte-order mark")
        parser.add_argument("--encoding", choices=["utf-8", "cp1252"], default="utf-8")
        parser.add_argument("--header-style", choices=["plain", "shuffled"], default="plain")
        parser.add_argument("--quote-all", action="store_true")
        parser.add_argument("--variant", choices=[v for v in VARIANTS if v], help="break one file at file level")
        parser.add_argument("--anomaly-rate", type=float, default=0.01)

    def handle(self, *args, **options):
        started = time.monotonic()
        ds = sample_generate(
            scale=options["scale"],
            seed=options["seed"],
            delimiter=DELIMITERS[options["delimiter"]],
            line_ending=LINE_ENDINGS[options["line_ending"]],
            bom=options["bom"],
            encoding=options["encoding"],
            header_style=options["header_style"],
            quote_all=options["quote_all"],
            variant=options["variant"],
            anomaly_rate=options["anomaly_rate"],
        )
        if options["zip"]:
            sample_zip(ds, options["zip"])
        out = options["zip"] or sample_write(ds, options["out"])
        rows = ", ".join(f"{name} {counts['rows_read']:,}" for name, counts in ds.expected_counts.items())
        self.stdout.write(
            f"wrote {out}: {rows} records; {len(ds.expected):,} expected anomalies; status {ds.expected_status} "
            f"({time.monotonic() - started:.1f}s)"
        )
