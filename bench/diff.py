"""Benchmark of "What changed": version_diff and its rendering on two versions of a large catalog.

    .venv/bin/python bench/diff.py [--scale 100] [--seed 0] [--rate 0.03] [--prepare DIR | --versions DIR]

Scale 100 is 2,000 namespaces, 50,000 data points and 1,000,000 columns (groundtruth.sample_generate).
The first version is the pipeline's result on those files; the second is derived from it with pandas:
in each file about `rate` of the records are removed, `rate` changed (for columns half moved, half
a new owner) and `rate` added, every line shifts, a tenth of the anomalies are resolved and new ones
appear. Preparing runs in one interpreter, which pickles both results; measuring runs in a fresh
one (Linux carries ru_maxrss across fork+exec), whose peak RSS during the diff and its rendering is
printed beside its baseline after loading the two versions.
"""

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The field changed in each file; for columns half the changed records move (table) and half get a
# new owner.
CHANGED_FIELD = {"namespaces": "namespace_option_name", "datapoints": "data_point_name"}


def version_derive(before, *, rate: float, seed: int):
    """A second version of `before` with about `rate` of the records removed, changed and added."""
    import numpy as np
    import pandas as pd

    from engine import FILES, SCHEMAS, FileResult, PipelineResult

    rng = np.random.default_rng(seed)
    files = {}
    for name in FILES:
        records = before.files[name].records
        key = SCHEMAS[name].key
        draw = rng.random(len(records))
        changed = (draw >= rate) & (draw < 2 * rate)
        records = records.copy()
        if name == "columns":
            moved = changed & (draw < 1.5 * rate)
            records.loc[moved, "dataset_table_name"] = records.loc[moved, "dataset_table_name"] + "_v2"
            records.loc[changed & ~moved, "dataset_owner_name"] = "Owner v2"
        else:
            field = CHANGED_FIELD[name]
            records.loc[changed, field] = records.loc[changed, field] + " (v2)"
        added = records[draw >= 1 - rate].copy()
        added[key] = added[key] + "-v2"
        records = pd.concat([records[draw >= rate], added], ignore_index=True)
        records["line"] = np.arange(2, len(records) + 2, dtype=np.int64)  # every line shifts
        files[name] = FileResult(name=name, records=records, rows_read=len(records), rows_persisted=len(records))
    anomalies = before.anomalies
    kept = anomalies[rng.random(len(anomalies)) >= 0.1].copy()
    kept["line"] = kept["line"] + 7
    appeared = anomalies[rng.random(len(anomalies)) < 0.05].copy()
    appeared["key"] = appeared["key"] + "-v2"
    return PipelineResult(
        failed=False, error=None, anomalies=pd.concat([kept, appeared], ignore_index=True), files=files
    )


def prepare(directory: Path, *, scale: int, seed: int, rate: float) -> None:
    from engine import pipeline_run
    from groundtruth import sample_generate

    started = time.perf_counter()
    files = sample_generate(scale=scale, seed=seed).files
    generated = time.perf_counter()
    before = pipeline_run(files=files)
    del files
    processed = time.perf_counter()
    after = version_derive(before, rate=rate, seed=seed + 1)
    derived = time.perf_counter()
    with open(directory / "versions.pickle", "wb") as out:
        pickle.dump((before, after), out, protocol=pickle.HIGHEST_PROTOCOL)
    print(
        f"prepared: generated {generated - started:.1f} s, pipeline {processed - generated:.1f} s, "
        f"second version derived {derived - processed:.1f} s; records per file "
        + ", ".join(
            f"{name} {len(r.records):,} → {len(after.files[name].records):,}" for name, r in before.files.items()
        )
        + f"; anomalies {len(before.anomalies):,} → {len(after.anomalies):,}"
    )


def peak_reset() -> bool:
    """Linux resets a process's peak RSS (VmHWM) when 5 is written to clear_refs; loading the pickles
    peaks higher than the versions then hold, and that peak is not the diff's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(directory: Path) -> None:
    from reports.diff import diff_csv, diff_json, version_diff

    with open(directory / "versions.pickle", "rb") as source:
        before, after = pickle.load(source)
    loaded = rss_mib("VmRSS")
    reset = peak_reset()
    timings = {}

    def timed(name, function):
        wall, cpu = time.perf_counter(), cpu_seconds()
        value = function()
        timings[name] = (time.perf_counter() - wall, cpu_seconds() - cpu)
        return value

    diff = timed("version_diff", lambda: version_diff(before=before, after=after))
    document = timed("diff_json", lambda: diff_json(diff, limit=500))
    table = timed("diff_csv", lambda: diff_csv(diff))
    peak = rss_mib("VmHWM")
    identical = timed("version_diff of identical versions", lambda: version_diff(before=before, after=before))
    print(
        json.dumps(
            {
                "timings": timings,
                "rss_after_loading_mib": loaded,
                "peak_reset": reset,
                "peak_rss_mib": peak,
                "json_bytes": len(document),
                "csv_bytes": len(table),
                "record_rows": len(diff.records),
                "anomaly_rows": len(diff.anomalies),
                "summary": {k: v for k, v in diff.summary.items() if k != "versions"},
                "identical_empty": identical.empty,
            }
        )
    )


def measure_in_child(directory: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, __file__, "--measure", str(directory)], check=True, capture_output=True, text=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rate", type=float, default=0.03, help="share of records removed, changed and added")
    parser.add_argument("--prepare", type=Path, help="only write DIR/versions.pickle (both versions)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--versions", type=Path, help="a directory holding versions.pickle from an earlier --prepare")
    args = parser.parse_args()
    if args.prepare:
        prepare(args.prepare, scale=args.scale, seed=args.seed, rate=args.rate)
        return
    if args.measure:
        measure(args.measure)
        return
    if args.versions:  # measure again without preparing (--prepare DIR writes DIR/versions.pickle)
        out = measure_in_child(args.versions)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-diff-") as directory:
            options = ["--scale", str(args.scale), "--seed", str(args.seed), "--rate", str(args.rate)]
            made = subprocess.run(
                [sys.executable, __file__, *options, "--prepare", directory], check=True, capture_output=True, text=True
            )
            print(made.stdout.strip())
            out = measure_in_child(Path(directory))
    report = json.loads(out.stdout)
    for name, (wall, cpu) in report["timings"].items():
        print(f"{name}: {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"identical versions give an empty diff: {report['identical_empty']}")
    since = "since loading" if report["peak_reset"] else "including loading (peak not resettable here)"
    print(
        f"peak RSS {since} {report['peak_rss_mib']:.0f} MiB "
        f"(both versions loaded: {report['rss_after_loading_mib']:.0f} MiB); "
        f"JSON {report['json_bytes'] / 2**10:.0f} KiB, CSV {report['csv_bytes'] / 2**20:.1f} MiB, "
        f"{report['record_rows']:,} record rows, {report['anomaly_rows']:,} anomaly rows"
    )
    print("summary:", json.dumps(report["summary"]))


if __name__ == "__main__":
    main()
