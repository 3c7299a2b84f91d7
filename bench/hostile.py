"""Time and peak memory of the engine on each hostile shape (issue 11), one fresh process per shape.

    .venv/bin/python bench/hostile.py [--size 10000000] [--timeout 120] [--shape NAME ...]
                                      [--engine-root DIR]

Each shape (groundtruth/hostile.py) is the `columns` file beside the sample's namespaces and data
points. `--engine-root` runs another copy of `engine/` (e.g. main's, extracted with
`git archive main engine | tar -x -C /tmp/main-engine`) to measure before and after. A shape still
running at the timeout is stopped; its line then shows the time and the peak memory so far.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundtruth.hostile import hostile_shapes  # noqa: E402

SAMPLE_DIR = ROOT / "tests" / "data" / "sample"


def child_run(path: Path, engine_root: str) -> None:
    if engine_root:
        sys.path.insert(0, engine_root)
    from engine import pipeline_run
    from engine.report import anomalies_csv

    files = {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints")}
    baseline = _peak_mib(os.getpid())
    files["columns"] = path.read_bytes()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = pipeline_run(files=files)
    report = anomalies_csv(result.anomalies)
    cpu = time.process_time() - cpu_started
    print(
        json.dumps(
            {
                "seconds": time.perf_counter() - started,
                "cpu_seconds": cpu,  # steadier than wall time on a shared machine
                # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent
                "peak_rss_mib": _peak_mib(os.getpid()),
                "rss_after_imports_mib": baseline,
                "anomalies": int(len(result.anomalies)),
                "report_mib": len(report) / 2**20,
                "failed": bool(result.failed),
            }
        )
    )


def _peak_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def shape_measure(path: Path, *, timeout: float, engine_root: str) -> dict:
    command = [sys.executable, __file__, "--child", str(path), "--engine-root", engine_root]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    started = time.monotonic()
    peak = 0.0
    while process.poll() is None and time.monotonic() - started < timeout:
        peak = max(peak, _peak_mib(process.pid))
        time.sleep(0.2)
    if process.poll() is None:
        peak = max(peak, _peak_mib(process.pid))
        process.kill()
        process.wait()
        return {"stopped": True, "seconds": time.monotonic() - started, "peak_rss_mib": peak}
    out, err = process.communicate()
    if process.returncode != 0:
        return {"crashed": err.strip().splitlines()[-1] if err.strip() else f"exit {process.returncode}"}
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--shape", action="append", help="only these shapes (repeatable)")
    parser.add_argument("--engine-root", default="", help="a directory holding another engine/ to measure")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_run(args.child, args.engine_root)
        return
    if args.generate:
        for name, data in hostile_shapes(args.size).items():
            (args.generate / f"{name}.csv").write_bytes(data)
        return
    print(f"engine: {args.engine_root or ROOT} · size {args.size:,} bytes · timeout {args.timeout:.0f} s")
    print("peak MiB: the process's peak resident memory; base: the same right before the shape was read")
    print("seconds: wall time, and the process's CPU time in brackets (steadier on a shared machine)")
    print(
        f"{'shape':<26} {'MB':>6} {'seconds':>16} {'peak MiB':>9} {'base':>5} {'anomalies':>10} {'report MB':>9} result"
    )
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as directory:
        # generated in another process, so that this one stays small
        subprocess.run([sys.executable, __file__, "--size", str(args.size), "--generate", directory], check=True)
        for path in sorted(Path(directory).glob("*.csv"), key=lambda p: list(hostile_shapes(1)).index(p.stem)):
            name = path.stem
            if args.shape and name not in args.shape:
                continue
            row = shape_measure(path, timeout=args.timeout, engine_root=args.engine_root)
            size = path.stat().st_size / 1e6
            path.unlink()
            if "crashed" in row:
                print(
                    f"{name:<26} {size:>6.1f} {'':>9} {'':>9} {'':>5} {'':>10} {'':>9}  CRASHED: {row['crashed'][:80]}"
                )
            elif row.get("stopped"):
                seconds, peak = f"{row['seconds']:.0f}+", f"{row['peak_rss_mib']:.0f}+"
                print(f"{name:<26} {size:>6.1f} {seconds:>16} {peak:>9} {'':>5} {'':>10} {'':>9}  stopped")
            else:
                result = "failed" if row["failed"] else "done"
                print(
                    f"{name:<26} {size:>6.1f} {row['seconds']:>7.2f} [{row['cpu_seconds']:>6.2f}] "
                    f"{row['peak_rss_mib']:>9.0f} "
                    f"{row['rss_after_imports_mib']:>5.0f} "
                    f"{row['anomalies']:>10,} {row['report_mib']:>9.2f}  {result}"
                )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
