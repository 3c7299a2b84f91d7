"""Benchmark of dataset versions: processing to browsable, a new version with one changed file,
deleting a version and a dataset, and the server time of the pages (the diff page included).

    make services   # or any MONGODB_URI; then:
    .venv/bin/python bench/versions.py [--scale 10] [--seed 0] [--repeat 5]

Scale 10 is 100,000 column rows (`groundtruth.sample_generate`). Version 2 replaces only the
columns file: 1% of its rows removed and 1% renamed. Everything runs in this process, as the
worker would (`version_process`), against the configured MongoDB and storage.
"""

import argparse
import csv
import io
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")


def _columns_changed(columns: bytes) -> bytes:
    """Every 100th row removed, every 100th (offset 50) column renamed; the rest as it was (the
    generated file's own damaged rows included, so the csv module rather than pandas)."""
    rows = list(csv.reader(io.StringIO(columns.decode("utf-8"))))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(rows[0])
    for position, row in enumerate(rows[1:]):
        if position % 100 == 0:
            continue
        if position % 100 == 50 and len(row) > 4:
            row[4] += "_renamed"
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


STEPS = ("_start", "engine_run_on", "_collections_write", "_compare", "_reports_write", "_finish")


def _steps_timed(timings: dict[str, float]) -> dict:
    """Wraps the named steps of `version_process` so each one's time adds up in `timings`;
    returns the unwrapped functions."""
    from uploads import processing

    originals = {name: getattr(processing, name) for name in STEPS}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                timings[name] = timings.get(name, 0) + time.perf_counter() - started

        return wrapper

    for name in STEPS:
        setattr(processing, name, timed(name, originals[name]))
    return originals


def _process(version_id: str, label: str) -> None:
    from uploads import processing

    timings: dict[str, float] = {}
    originals = _steps_timed(timings)
    started = time.perf_counter()
    try:
        version = processing.version_process(version_id=version_id)
    finally:
        for name, function in originals.items():
            setattr(processing, name, function)
    total = time.perf_counter() - started
    rows = sum(part["rows_read"] for part in version.counts.values())
    print(f"{label}: {version.status} in {total:.1f} s ({rows:,} records read, {version.anomalies_total:,} anomalies)")
    for name, seconds in timings.items():
        print(f"    {name.strip('_'):<20} {seconds:7.2f} s")


def _records(version) -> str:
    # From the version's counts: counting documents on FerretDB's SQLite backend reads them all.
    records = sum(part["rows_persisted"] for part in version.counts.values())
    return f"{records:,} records, {version.anomalies_total:,} anomalies and the browse index"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.files.base import ContentFile

    from bench.pages import page_timings, timings_print
    from groundtruth import sample_generate
    from uploads.models import Dataset
    from uploads.services import dataset_create, dataset_delete, version_create, version_delete

    started = time.perf_counter()
    files = sample_generate(scale=args.scale, seed=args.seed).files
    print(f"generated scale {args.scale} in {time.perf_counter() - started:.1f} s")
    uploads = {file: ContentFile(content, name=f"{file}.csv") for file, content in files.items()}

    v1 = dataset_create(name=f"bench versions scale {args.scale}", owner=None, files=uploads, enqueue=False)
    _process(str(v1.pk), "version 1, processing to browsable")

    started = time.perf_counter()
    columns = _columns_changed(files["columns"])
    v2 = version_create(
        dataset=v1.dataset, created_by=None, files={"columns": ContentFile(columns, name="c.csv")}, enqueue=False
    )
    print(f"version 2 upload stored (columns only) in {time.perf_counter() - started:.2f} s")
    _process(str(v2.pk), "version 2, one changed file, processed, compared and published")
    dataset = Dataset.objects.get(pk=v1.dataset_id)
    assert dataset.current_version_id == v2.pk, "version 2 was not published"

    results = page_timings(
        dataset_id=str(dataset.pk),
        repeat=args.repeat,
        extra={
            "what changed (v2)": (f"/datasets/{dataset.pk}/versions/2/changes/", {}),
            "anomalies of v1": (f"/datasets/{dataset.pk}/versions/1/anomalies/", {}),
            "changes.csv (v2)": (f"/datasets/{dataset.pk}/versions/2/changes.csv", {}),
        },
    )
    timings_print(results)

    v1.refresh_from_db()
    v2.refresh_from_db()
    started = time.perf_counter()
    version_delete(version=v1)
    print(f"delete version 1 ({_records(v1)}): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    dataset_delete(dataset=Dataset.objects.get(pk=dataset.pk))
    print(f"delete the dataset (version 2, {_records(v2)}): {time.perf_counter() - started:.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
