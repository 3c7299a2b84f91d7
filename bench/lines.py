"""The source-line view against the size of the upload: building the line index (at processing
time) and reading a view through it, on local storage, with no database.

    .venv/bin/python bench/lines.py [--scale 100] [--repeat 20]

Scale 100 is a columns file of 1,000,000 records. Prints the index build time and size, and the
median and slowest server-side `source_view` time for lines at the start, middle and end.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    import django

    with tempfile.TemporaryDirectory(prefix="bench-lines-") as media:
        os.environ["MEDIA_DIR"] = media
        django.setup()
        from types import SimpleNamespace

        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage

        from groundtruth import sample_generate
        from reports.source import line_index_render, source_view
        from sourcelines.lines import line_index_build

        data = sample_generate(scale=args.scale).files["columns"]
        upload = SimpleNamespace(
            storage=default_storage, name=default_storage.save("bench/columns.csv", ContentFile(data))
        )
        started = time.perf_counter()
        index = line_index_build(data)
        built = time.perf_counter() - started
        stored = default_storage.save("bench/columns.lines.npz", ContentFile(line_index_render(data)))
        index_file = SimpleNamespace(storage=default_storage, name=stored)
        print(f"columns file: {len(data) / 1_048_576:.1f} MiB, {index.lines:,} lines")
        print(f"line index: built in {built * 1000:.0f} ms, {len(index.to_bytes()) / 1024:.0f} KiB stored")
        for name, line in (("start", 2), ("middle", index.lines // 2), ("end", index.lines - 3)):
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                source_view(
                    index_file=index_file,
                    upload_file=upload,
                    line=line,
                    field_name="dataset_column_name",
                    code="whitespace",
                )
                times.append((time.perf_counter() - started) * 1000)
            print(
                f"source_view at the {name} (line {line:,}): {statistics.median(times):.1f} ms median, "
                f"{max(times):.1f} ms max"
            )


if __name__ == "__main__":
    main()
