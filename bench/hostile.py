"""Time and peak memory of the engine on each hostile shape (issue 11), one fresh process per shape;
with `--pages`, of the worst source-line page of each shape instead (issue 15).

    .venv/bin/python bench/hostile.py [--size 10000000] [--timeout 120] [--shape NAME ...]
                                      [--engine-root DIR] [--pages]

Each shape (groundtruth/hostile.py) is the `columns` file beside the sample's namespaces and data
points. `--engine-root` runs another copy of `engine/` (e.g. main's, extracted with
`git archive main engine | tar -x -C /tmp/main-engine`) to measure before and after. A shape still
running at the timeout is stopped; its line then shows the time and the peak memory so far.

`--pages` runs the engine on the shape, stores the upload and its line index on a temporary local
storage, then renders the line view (`reports.source.source_view` and its template, no database)
of the first PAGE_LINKS anomaly links of the columns file and reports the slowest (median of
PAGE_REPEAT): its time, the size of its HTML and the process's peak memory while pages were made
(the peak is reset after the engine). To measure another tree's pages (e.g. main's), run this
script from a copy of that tree (`git archive main | tar -x -C /tmp/main-tree`, then copy
bench/hostile.py and groundtruth/hostile.py into it).
"""

import argparse
import contextlib
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


PAGE_LINKS = 12  # anomaly links of a shape whose line views are measured
PAGE_REPEAT = 3  # each page made this many times; its median is kept


def child_pages(path: Path, *, links_max: int, repeat: int) -> None:
    """The slowest line view of the shape's anomaly links, in this (fresh) process."""
    import tempfile
    import uuid
    from types import SimpleNamespace

    with tempfile.TemporaryDirectory(prefix="bench-pages-") as media:
        os.environ["MEDIA_DIR"] = media
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")
        import django

        django.setup()
        from django.core.files.base import ContentFile
        from django.core.files.storage import default_storage
        from django.template.loader import render_to_string

        from engine import pipeline_run
        from reports.source import line_index_render, source_view

        files = {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints")}
        files["columns"] = path.read_bytes()
        anomalies = pipeline_run(files=files).anomalies
        columns = anomalies[(anomalies["file"] == "columns") & anomalies["line"].notna()]
        links = columns[["line", "field", "code"]].drop_duplicates("line").head(links_max)
        links = [(int(line), field or "", code) for line, field, code in links.itertuples(index=False)]
        upload = SimpleNamespace(
            storage=default_storage, name=default_storage.save("bench/columns.csv", ContentFile(files["columns"]))
        )
        index = SimpleNamespace(
            storage=default_storage,
            name=default_storage.save("bench/columns.lines.npz", ContentFile(line_index_render(files["columns"]))),
        )
        del files, anomalies, columns
        dataset = SimpleNamespace(pk=uuid.uuid4(), name="bench", current_version=None)
        version = SimpleNamespace(number=1)

        def page(line: int, field_name: str, code: str) -> str:
            view = source_view(index_file=index, upload_file=upload, line=line, field_name=field_name, code=code)
            context = {"dataset": dataset, "version": version, "file": "columns", "line": line, "view": view}
            return render_to_string("uploads/source_lines.html", {**context, "field": field_name, "code": code})

        page(1, "", "")  # the template compiled, the modules loaded: not timed
        _peak_reset()
        baseline = _peak_mib(os.getpid())
        worst = {"seconds": 0.0, "page_bytes": 0, "line": None, "code": ""}
        for line, field_name, code in links:
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                html = page(line, field_name, code)
                times.append(time.perf_counter() - started)
            seconds = sorted(times)[len(times) // 2]
            if seconds >= worst["seconds"]:
                worst = {"seconds": seconds, "page_bytes": len(html.encode()), "line": line, "code": code}
            del html
        print(
            json.dumps(
                {
                    **worst,
                    "links": len(links),
                    "peak_rss_mib": _peak_mib(os.getpid()),
                    "rss_before_pages_mib": baseline,
                }
            )
        )


def _peak_reset() -> None:
    """Resets this process's VmHWM to its current resident memory (Linux's clear_refs)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def shape_measure(path: Path, *, timeout: float, engine_root: str, pages: list[str] | None = None) -> dict:
    command = [sys.executable, __file__, "--child", str(path), "--engine-root", engine_root]
    command += pages or []  # the --pages options
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
    parser.add_argument("--pages", action="store_true", help="measure the worst line view of each shape")
    parser.add_argument("--page-links", type=int, default=PAGE_LINKS, help="with --pages: links measured per shape")
    parser.add_argument("--page-repeat", type=int, default=PAGE_REPEAT, help="with --pages: times each page is made")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child and args.pages:
        child_pages(args.child, links_max=args.page_links, repeat=args.page_repeat)
        return
    if args.child:
        child_run(args.child, args.engine_root)
        return
    if args.generate:
        for name, data in hostile_shapes(args.size).items():
            (args.generate / f"{name}.csv").write_bytes(data)
        return
    if args.pages:
        pages_main(args)
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


def _shape_files(args, directory: str) -> list[Path]:
    # generated in another process, so that this one stays small
    subprocess.run([sys.executable, __file__, "--size", str(args.size), "--generate", directory], check=True)
    order = list(hostile_shapes(1))
    paths = sorted(Path(directory).glob("*.csv"), key=lambda p: order.index(p.stem))
    return [path for path in paths if not args.shape or path.stem in args.shape]


def pages_main(args) -> None:
    print(f"line views of {ROOT} · size {args.size:,} bytes · timeout {args.timeout:.0f} s · load {_load()}")
    print("the slowest of the first line views of each shape's anomalies (source_view and its template);")
    print("peak MiB: the process's peak while making pages; base: its memory before them")
    print(f"{'shape':<26} {'MB':>6} {'line':>6} {'code':<22} {'seconds':>8} {'page KB':>9} {'peak MiB':>9} {'base':>5}")
    with tempfile.TemporaryDirectory(prefix="bench-hostile-") as directory:
        for path in _shape_files(args, directory):
            options = ["--pages", "--page-links", str(args.page_links), "--page-repeat", str(args.page_repeat)]
            row = shape_measure(path, timeout=args.timeout, engine_root="", pages=options)
            size = path.stat().st_size / 1e6
            path.unlink()
            name = path.stem
            if "crashed" in row:
                print(f"{name:<26} {size:>6.1f}  CRASHED: {row['crashed'][:80]}")
            elif row.get("stopped"):
                seconds, peak = f"{row['seconds']:.0f}+", f"{row['peak_rss_mib']:.0f}+"
                print(f"{name:<26} {size:>6.1f} {'':>6} {'':<22} {seconds:>8} {'':>9} {peak:>9}  stopped")
            elif row["line"] is None:
                print(f"{name:<26} {size:>6.1f}  no anomaly with a line in the columns file")
            else:
                print(
                    f"{name:<26} {size:>6.1f} {row['line']:>6} {row['code']:<22} {row['seconds']:>8.3f} "
                    f"{row['page_bytes'] / 1000:>9.1f} {row['peak_rss_mib']:>9.0f} {row['rss_before_pages_mib']:>5.0f}"
                )
            sys.stdout.flush()


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
