"""Benchmark of the pipeline stage without the database, then with it: rows/second and peak memory.

    .venv/bin/python bench/pipeline.py [--scale 100] [--seed 0] [--generator auto|sample|numpy]
                                       [--without-database] [--keep]

The half with the database is bench/database.py (MongoDB from MONGODB_URI; `make bench` starts one).

Scale 100 is 2,000 namespaces, 50,000 data points and 1,000,000 columns with ~1% anomalies. The
files are written to a temporary directory; the pipeline then runs in a fresh subprocess whose
`ru_maxrss` is the peak reported (nothing subtracted; the baseline after imports and after loading
the files is printed beside it).
"""

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILES = ("namespaces", "datapoints", "columns")


def files_generate(*, scale: int, seed: int, generator: str) -> tuple[dict[str, bytes], str]:
    if generator in ("auto", "sample"):
        try:
            from groundtruth import sample_generate
        except ImportError:
            if generator == "sample":
                raise
        else:
            return sample_generate(scale=scale, seed=seed).files, "groundtruth"
    return files_generate_numpy(scale=scale, seed=seed), "numpy"


def files_generate_numpy(*, scale: int, seed: int) -> dict[str, bytes]:
    """A quick stand-in generator: about 1% of column rows get one anomaly each."""
    import numpy as np

    rng = np.random.default_rng(seed)
    n_namespaces, n_datapoints, n_columns = 20 * scale, 500 * scale, 10_000 * scale
    namespaces = [f"NS{i:05d},Namespace option {i},NAMESPACE_OPTION_{i}" for i in range(n_namespaces)]
    types = ("string", "integer", "decimal", "percentage")
    datapoints = [
        f'DP{i:06d},Data point {i},DATA_POINT_{i},DP{i}|D{i},"Definition of {i}, with a comma.",OE|ETF,US|GB,'
        f"{types[i % 4]},,{'YN'[i % 2]},MR-{i % 900:03d}"
        for i in range(n_datapoints)
    ]
    databases = ("fund_master", "esg_store", "risk_mart", "pricing_db", "holdings_core", "reference_data")
    owners = ("Equity Research", "Sustainability Office", "Risk Team", "Data Office", "Fixed Income")
    picks = [
        rng.integers(0, n, n_columns).tolist() for n in (n_namespaces, len(databases), 500, n_datapoints, len(owners))
    ]
    rows = [
        f"C{i:07d},NS{a:05d},{databases[b]},table_{c},col_{i % 5000},DP{d:06d},{owners[e]}"
        for i, (a, b, c, d, e) in enumerate(zip(*picks))
    ]
    for j, i in enumerate(rng.choice(n_columns, n_columns // 100, replace=False).tolist()):
        kind = j % 6
        if kind == 0:
            rows[i] = rows[i].replace(",col_", ", col_")
        elif kind == 1 and i:
            rows[i] = rows[i - 1]
        elif kind == 2:
            rows[i] = rows[i].replace(",DP", ",DX")
        elif kind == 3:
            rows[i] = rows[i].replace("fund_master", "Fund_Master").replace("esg_store", "esg_stor")
        elif kind == 4:
            rows[i] += ",extra"
        elif kind == 5:
            rows[i] = ""
    headers = {
        "namespaces": "namespace_id,namespace_option_name,namespace_option_standard_name",
        "datapoints": "data_point_id,data_point_name,data_point_standard_name,approved_abbreviations,"
        "data_point_definition,applicable_data_universes,applicable_domicile,data_type,"
        "data_point_possible_values,is_derived,methodology_reference",
        "columns": "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,"
        "data_point_id,dataset_owner_name",
    }
    bodies = {"namespaces": namespaces, "datapoints": datapoints, "columns": rows}
    return {name: ("\n".join([headers[name], *bodies[name]]) + "\n").encode() for name in FILES}


def files_write(directory: Path, *, scale: int, seed: int, generator: str) -> None:
    started = time.perf_counter()
    files, source = files_generate(scale=scale, seed=seed, generator=generator)
    for name, data in files.items():
        (directory / f"{name}.csv").write_bytes(data)
    print(
        f"generated with {source} in {time.perf_counter() - started:.1f}s: "
        + ", ".join(f"{name} {len(data) / 2**20:.1f} MiB" for name, data in files.items())
    )


def bench_with_database(*, scale: int, seed: int, keep: bool) -> None:
    """The same kind of data through `version_process` into MongoDB (bench/database.py, its own process)."""
    command = [sys.executable, str(ROOT / "bench" / "database.py"), "--scale", str(scale), "--seed", str(seed)]
    subprocess.run(command + (["--keep"] if keep else []), check=True, cwd=ROOT)


def child_run(directory: Path) -> None:
    """Runs in a fresh interpreter: imports, loads the files, runs the pipeline once, prints JSON."""
    from engine import pipeline_run

    imported = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    files = {name: (directory / f"{name}.csv").read_bytes() for name in FILES}
    loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages: list[tuple[str, float, float]] = []
    cpu_started = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    result = pipeline_run(
        files=files, progress=lambda stage, fraction: stages.append((stage, fraction, time.perf_counter() - started))
    )
    wall = time.perf_counter() - started
    cpu_ended = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_ended.ru_utime - cpu_started.ru_utime) + (cpu_ended.ru_stime - cpu_started.ru_stime)
    print(
        json.dumps(
            {
                "wall_seconds": wall,
                "cpu_seconds": cpu,  # user + system: steadier than wall when the machine is shared
                "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "rss_after_imports_mib": imported,
                "rss_after_loading_files_mib": loaded,
                "input_mib": sum(len(v) for v in files.values()) / 2**20,
                "rows_read": {name: result.files[name].rows_read for name in FILES},
                "rows_persisted": {name: result.files[name].rows_persisted for name in FILES},
                "anomalies": int(len(result.anomalies)),
                "failed": result.failed,
                "stages": [(s, p, round(t, 3)) for s, p, t in stages],
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--generator", choices=("auto", "sample", "numpy"), default="auto")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--without-database", action="store_true", help="skip the half that writes to MongoDB")
    parser.add_argument("--keep", action="store_true", help="keep the dataset written to MongoDB (for bench/pages.py)")
    args = parser.parse_args()
    if args.child:
        child_run(args.child)
        return
    if args.generate:
        files_write(args.generate, scale=args.scale, seed=args.seed, generator=args.generator)
        return
    # Generation and measurement each run in their own interpreter, started from this small one:
    # Linux carries ru_maxrss across fork+exec, so a child of a big process would inherit its peak.
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as directory:
        options = ["--scale", str(args.scale), "--seed", str(args.seed), "--generator", args.generator]
        made = subprocess.run(
            [sys.executable, __file__, *options, "--generate", directory],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        print(made.stdout.strip())
        out = subprocess.run(
            [sys.executable, __file__, "--child", directory], check=True, capture_output=True, text=True, cwd=ROOT
        )
    report = json.loads(out.stdout)
    rows = sum(report["rows_read"].values())
    print(
        f"pipeline (no database): {report['wall_seconds']:.2f} s wall, {rows / report['wall_seconds']:,.0f} rows/s "
        f"[{report['cpu_seconds']:.2f} s CPU] ({rows:,} records read, {report['anomalies']:,} anomalies, "
        f"failed={report['failed']})"
    )
    print(
        f"peak RSS {report['peak_rss_mib']:.0f} MiB (after imports {report['rss_after_imports_mib']:.0f} MiB, "
        f"after loading the {report['input_mib']:.0f} MiB of files {report['rss_after_loading_files_mib']:.0f} MiB)"
    )
    print("stages:", report["stages"])
    if not args.without_database:
        print("with the database (needs MONGODB_URI, e.g. from `make services`):", flush=True)
        bench_with_database(scale=args.scale, seed=args.seed, keep=args.keep)


if __name__ == "__main__":
    main()
