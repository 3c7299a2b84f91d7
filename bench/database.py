"""Benchmark of processing WITH the database: pipeline, persisting to MongoDB, browse index, reports.

    make services   # or any MONGODB_URI; then:
    .venv/bin/python bench/database.py [--scale 100] [--seed 0] [--keep]

The files are generated in a separate process (so its memory does not count here); this process
then runs `version_process`, timing each of its steps, and prints rows/second and its peak RSS.
The dataset is deleted afterwards (also timed) unless --keep is given; its id is printed for
bench/pages.py.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundtruth import sample_generate, sample_write  # noqa: E402 - after the path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")
FILES = ("namespaces", "datapoints", "columns")


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the dataset for bench/pages.py")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-database-") as directory:
        sample_write(sample_generate(scale=args.scale, seed=args.seed), directory)
        import django

        django.setup()
        from django.core.files import File

        from uploads.models import Dataset
        from uploads.processing import version_process
        from uploads.services import dataset_create, dataset_delete

        handles = {file: open(Path(directory) / f"{file}.csv", "rb") for file in FILES}  # noqa: SIM115 - closed below
        version = dataset_create(
            name=f"bench scale {args.scale}",
            owner=None,
            enqueue=False,
            files={file: File(handles[file], name=f"{file}.csv") for file in FILES},
        )
        for handle in handles.values():
            handle.close()

    from uploads import processing

    timings: dict[str, float] = {}

    def timed(name, function):
        def wrapper(**kwargs):
            started = time.perf_counter()
            try:
                return function(**kwargs)
            finally:
                timings[name] = timings.get(name, 0) + time.perf_counter() - started

        return wrapper

    for name in ("pipeline_run", "records_persist", "anomalies_persist", "browse_index_persist", "reports_render"):
        setattr(processing, name, timed(name, getattr(processing, name)))
    started = time.perf_counter()
    version = version_process(version_id=str(version.pk))
    total = time.perf_counter() - started
    rows = sum(part["rows_read"] for part in version.counts.values())
    persisted = sum(part["rows_persisted"] for part in version.counts.values())
    dataset = version.dataset
    print(
        f"dataset {dataset.pk}: {version.status}, {rows:,} records read, {persisted:,} persisted, "
        f"{version.anomalies_total:,} anomalies"
    )
    print(f"whole processing: {total:.1f} s, {rows / total:,.0f} rows/s; peak RSS {_peak_mib():.0f} MiB")
    for name, seconds in timings.items():
        print(f"  {name:<22} {seconds:7.1f} s")
    if args.keep:
        print(f"kept; time the pages with: .venv/bin/python bench/pages.py --dataset {dataset.pk}")
        return
    started = time.perf_counter()
    dataset_delete(dataset=Dataset.objects.get(pk=dataset.pk))
    print(f"delete: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
