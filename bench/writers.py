"""FerretDB's two handlers under N concurrent writers, as `make cluster`'s heavy workers use it: N
versions processed at the same moment into ONE MongoDB database, while a reader requests pages.

    .venv/bin/python bench/writers.py [--scale 2] [--writers 1,2,4] [--repeat 1] [--handlers sqlite,postgresql]

For each handler, in turn: fresh services of their own, in the cluster's shape (devservices/services.sh,
test profile, SERVICES_SHAPE=cluster, FERRETDB_HANDLER=<handler>: PostgreSQL for Django's tables,
s3proxy for the files, FerretDB on SQLite files or on that PostgreSQL server's `ferretdb` database),
then one generated dataset (groundtruth, --scale: 10,000 columns per unit) processed for the reader,
the reader's pages with no writer (N = 0), and for each N: N child processes each `dataset_create` one
dataset of the same files, wait, and at one signal all run `version_process` (the real service, as a
worker runs it); meanwhile a reader process requests a dozen pages of the reader's dataset over and
over (bench/pages.py: Django's test client, the real MongoDB). Each writer then checks its version:
ended `done`, and every collection holds as many documents as its summary.json says
(`rows_persisted` per file, `anomalies_total`). Then the N datasets are deleted.

Printed per handler and N: makespan (signal to last job ended), per-job wall time (median / max),
records (and all documents: records, anomalies, browse nodes) written per second overall, versions
right, errors (a failed version's message; on SQLite a writer that waited past FerretDB's
busy_timeout of 10 s gets "database is locked"; lines of FerretDB's log that say so are counted
too), the pages' server time during the writes (median / p90 / max over every request) and the
load average when the round ended. Figures vary with the machine's load.

Ports (services of its own): WRITERS_FERRETDB_PORT (27022), WRITERS_POSTGRES_PORT (5439),
WRITERS_ELASTICMQ_PORT (9328), WRITERS_S3_PORT (8086).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILES = ("namespaces", "datapoints", "columns")
# The pages a person browsing reads while others upload (names in bench/pages.py).
READ_PAGES = (
    "dataset page",
    "status.json",
    "anomalies",
    "anomaly groups",
    "browse namespaces",
    "browse tables",
    "browse columns",
    "browse column",
    "data point",
    "search one word",
    "search common owner",
    "record link (column row)",
)
STAGES = ("pipeline_run", "records_persist", "anomalies_persist", "browse_index_persist")
BUSY = (b"database is locked", b"SQLITE_BUSY", b"deadlock")


def _django() -> None:
    import django

    django.setup()


def _send(message: dict) -> None:
    print(json.dumps(message), flush=True)


def _dataset_create(directory: Path, name: str):
    from django.core.files import File

    from uploads import services

    handles = {file: open(directory / f"{file}.csv", "rb") for file in FILES}  # noqa: SIM115 - closed below
    try:
        return services.dataset_create(
            name=name,
            owner=None,
            enqueue=False,
            files={file: File(handles[file], name=f"{file}.csv") for file in FILES},
        )
    finally:
        for handle in handles.values():
            handle.close()


def _version_check(version) -> dict:
    """Whether the version ended done with every collection holding what its summary.json says."""
    from catalog.mongo import version_collection

    summary = json.loads(version.summary_json.open("rb").read()) if version.summary_json else {}
    expected = {file: part["rows_persisted"] for file, part in summary.get("files", {}).items()}
    expected["anomalies"] = summary.get("anomalies_total")
    held = {kind: version_collection(version=version.records_key, kind=kind).count_documents({}) for kind in expected}
    nodes = version_collection(version=version.records_key, kind="browse_nodes").count_documents({})
    return {
        "status": str(version.status),
        "error": version.error,
        "right": str(version.status) == "done" and summary.get("status") == "done" and held == expected,
        "records": sum(held[file] for file in FILES if file in held),
        "documents": sum(held.values()) + nodes,
        "held": held,
        "expected": expected,
    }


def writer(*, directory: Path, name: str) -> None:
    """One heavy worker's job: creates its dataset, says ready, processes it at the signal, checks
    it, reports, then deletes it at the next signal."""
    _django()
    from uploads import processing, services

    stages: dict[str, float] = {}
    for stage in STAGES:
        function = getattr(processing, stage)

        def wrapper(*args, _function=function, _stage=stage, **kwargs):
            started = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                stages[_stage] = stages.get(_stage, 0) + time.perf_counter() - started

        setattr(processing, stage, wrapper)

    version = _dataset_create(directory, name)
    _send({"ready": str(version.pk)})
    sys.stdin.readline()  # the signal
    out: dict = {"name": name, "started": time.time()}
    try:
        version = processing.version_process(version_id=str(version.pk))
    except Exception as exc:  # reported with the figures: a writer that fails is a result here
        out["exception"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        version.refresh_from_db()
    out["ended"] = time.time()
    out["stages"] = stages
    out.update(_version_check(version))
    _send(out)
    sys.stdin.readline()  # the second signal: delete
    services.dataset_delete(dataset=version.dataset)


def reader(*, dataset_id: str, stop: Path | None, cycles: int) -> None:
    """Requests READ_PAGES in turn until `stop` exists (checked between requests), or `cycles`
    times each when there is no `stop`."""
    _django()
    from bench.pages import page_get, page_urls, pages_client

    client = pages_client()
    urls = page_urls(dataset_id=dataset_id)
    pages = [(name, *urls[name]) for name in READ_PAGES]
    _send({"ready": dataset_id})
    sys.stdin.readline()
    times, errors, done = [], [], 0
    while (stop is None and done < cycles * len(pages)) or (stop is not None and not stop.exists()):
        name, url, query = pages[done % len(pages)]
        try:
            milliseconds, status = page_get(client, url, query)
            times.append(milliseconds)
            if status not in (200, 302):
                errors.append(f"{name}: HTTP {status}")
        except Exception as exc:  # a page that fails under writes is a result here
            errors.append(f"{name}: {type(exc).__name__}: {str(exc)[:200]}")
        done += 1
    _send({"times": times, "errors": errors})


def prepare(*, directory: Path) -> None:
    """The reader's dataset, processed with no writer about."""
    _django()
    from uploads import processing

    version = _dataset_create(directory, "writers: the reader's dataset")
    started = time.perf_counter()
    version = processing.version_process(version_id=str(version.pk))
    _send({"dataset": str(version.dataset_id), "seconds": time.perf_counter() - started, **_version_check(version)})


class Child:
    """This script run with --child, talking JSON lines on stdout, signals on stdin."""

    def __init__(self, role: str, env: dict, *args: str):
        command = [sys.executable, __file__, "--child", role, *args]
        # Its log (the app's, at INFO) apart: var/writers/<role>.log.
        with (ROOT / "var" / "writers" / f"{role}.log").open("a") as log:
            self.process = subprocess.Popen(
                command, env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
            )

    def receive(self) -> dict:
        line = self.process.stdout.readline()
        while line and not line.startswith("{"):  # anything else a library printed
            line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"a child ended without answering (exit {self.process.wait()})")
        return json.loads(line)

    def signal(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def close(self) -> None:
        self.process.stdin.close()
        if self.process.wait(timeout=600):
            raise RuntimeError(f"a child failed (exit {self.process.returncode})")


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def _reads(report: dict) -> dict:
    times = report["times"]
    return {
        "requests": len(times),
        "median_ms": statistics.median(times) if times else None,
        "p90_ms": _percentile(times, 0.9),
        "max_ms": max(times, default=None),
        "errors": report["errors"],
    }


def _busy_lines(log: Path, offset: int) -> int:
    if not log.exists():
        return 0
    with log.open("rb") as handle:
        handle.seek(offset)
        return sum(any(word in line for word in BUSY) for line in handle)


def _round(*, writers: int, env: dict, directory: Path, reader_dataset: str, logs: list[Path], work: Path) -> dict:
    stop = work / f"stop-{writers}"
    stop.unlink(missing_ok=True)
    children = [Child("writer", env, str(directory), f"writers {writers}: #{n + 1}") for n in range(writers)]
    read = Child("reader", env, reader_dataset, "--stop", str(stop))
    for child in [*children, read]:
        child.receive()
    offsets = [log.stat().st_size if log.exists() else 0 for log in logs]
    started = time.time()
    for child in [read, *children]:
        child.signal()
    jobs = [child.receive() for child in children]
    stop.touch()
    reads = _reads(read.receive())
    read.close()
    load = os.getloadavg()
    for child in children:  # one at a time: deleting is not what is measured
        child.signal()
        child.close()
    makespan = max(job["ended"] for job in jobs) - started
    walls = [job["ended"] - job["started"] for job in jobs]
    return {
        "writers": writers,
        "makespan": makespan,
        "job_median": statistics.median(walls),
        "job_max": max(walls),
        "records": sum(job["records"] for job in jobs),
        "documents": sum(job["documents"] for job in jobs),
        "right": sum(job["right"] for job in jobs),
        "errors": [job.get("exception") or job["error"] for job in jobs if job.get("exception") or job["error"]],
        "busy_log_lines": sum(_busy_lines(log, offset) for log, offset in zip(logs, offsets)),
        "stages": {stage: statistics.median(job["stages"].get(stage, 0) for job in jobs) for stage in STAGES},
        "reads": reads,
        "load": load,
        "jobs": jobs,
    }


def _ports() -> dict[str, str]:
    return {
        "TEST_FERRETDB_PORT": os.environ.get("WRITERS_FERRETDB_PORT", "27022"),
        "TEST_POSTGRES_PORT": os.environ.get("WRITERS_POSTGRES_PORT", "5439"),
        "TEST_ELASTICMQ_PORT": os.environ.get("WRITERS_ELASTICMQ_PORT", "9328"),
        "TEST_S3_PORT": os.environ.get("WRITERS_S3_PORT", "8086"),
    }


def run_handler(*, handler: str, directory: Path, counts: list[int], cycles: int) -> dict:
    ports = _ports()
    env = {**os.environ, **ports, "SERVICES_PROFILE": "test", "SERVICES_SHAPE": "cluster", "FERRETDB_HANDLER": handler}
    services = [str(ROOT / "devservices" / "services.sh")]
    var = ROOT / "var" / "test" / f"services-{ports['TEST_FERRETDB_PORT']}"
    work = ROOT / "var" / "writers"
    subprocess.run([*services, "stop"], env=env, check=True, cwd=ROOT)
    shutil.rmtree(var, ignore_errors=True)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    started = subprocess.run([*services, "start"], env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    env.update(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    env.update(
        DJANGO_SETTINGS_MODULE="zemoga_datasets.settings.development",
        DEBUG="0",
        MONGODB_NAME="zemoga_datasets_writers",
        MEDIA_DIR=str(work / "media"),
        PYTHONPATH=str(ROOT),
    )
    logs = [var / "log" / "ferretdb.log", var / "log" / "postgresql.log"]
    try:
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env, check=True, cwd=ROOT)
        prepared = Child("prepare", env, str(directory))
        reader_dataset = prepared.receive()
        prepared.close()
        print(f"  reader's dataset: {reader_dataset['seconds']:.1f} s, {reader_dataset['status']}", file=sys.stderr)
        idle = Child("reader", env, reader_dataset["dataset"], "--cycles", str(cycles))
        idle.receive()
        idle.signal()
        out = {"handler": handler, "reader": reader_dataset, "idle reads": _reads(idle.receive()), "rounds": []}
        idle.close()
        for writers in counts:
            result = _round(
                writers=writers,
                env=env,
                directory=directory,
                reader_dataset=reader_dataset["dataset"],
                logs=logs,
                work=work,
            )
            out["rounds"].append(result)
            print(f"  {json.dumps({k: v for k, v in result.items() if k != 'jobs'})}", file=sys.stderr, flush=True)
        return out
    finally:
        subprocess.run([*services, "stop"], env=env, check=False, cwd=ROOT)


def _ms(value) -> str:
    return "—" if value is None else f"{value:.0f}"


def table(reports: list[dict]) -> str:
    lines = [
        "| handler | writers | makespan | job wall (median / max) | records/s (all documents/s) "
        "| versions right | errors (busy lines in logs) | pages during writes, ms: median / p90 / max (requests) "
        "| load average (1/5 min) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for report in reports:
        idle = report["idle reads"]
        lines.append(
            f"| {report['handler']} | 0 | — | {report['reader']['seconds']:.1f} s (the reader's dataset) | — | — "
            f"| — | {_ms(idle['median_ms'])} / {_ms(idle['p90_ms'])} / {_ms(idle['max_ms'])} ({idle['requests']}) | — |"
        )
        for r in report["rounds"]:
            reads = r["reads"]
            errors = len(r["errors"]) + len(reads["errors"])
            lines.append(
                f"| {report['handler']} | {r['writers']} | {r['makespan']:.1f} s "
                f"| {r['job_median']:.1f} / {r['job_max']:.1f} s "
                f"| {r['records'] / r['makespan']:,.0f} ({r['documents'] / r['makespan']:,.0f}) "
                f"| {r['right']}/{r['writers']} | {errors} ({r['busy_log_lines']}) "
                f"| {_ms(reads['median_ms'])} / {_ms(reads['p90_ms'])} / {_ms(reads['max_ms'])} ({reads['requests']}) "
                f"| {r['load'][0]:.1f} / {r['load'][1]:.1f} |"
            )
    messages = [
        f"- {report['handler']}, {r['writers']} writers: {message}"
        for report in reports
        for r in report["rounds"]
        for message in [*r["errors"], *r["reads"]["errors"]]
    ]
    return "\n".join([*lines, *(["", "Errors:", *messages] if messages else [])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=2, help="each writer's dataset: 10,000 columns per unit")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--writers", default="1,2,4")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every writer count, in turn")
    parser.add_argument("--handlers", default="sqlite,postgresql")
    parser.add_argument("--cycles", type=int, default=3, help="requests of each page with no writer")
    parser.add_argument("--child", choices=("prepare", "writer", "reader"), help=argparse.SUPPRESS)
    parser.add_argument("--stop", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        return prepare(directory=Path(args.arguments[0]))
    if args.child == "writer":
        return writer(directory=Path(args.arguments[0]), name=args.arguments[1])
    if args.child == "reader":
        return reader(dataset_id=args.arguments[0], stop=args.stop, cycles=args.cycles)

    from groundtruth import sample_generate, sample_write

    counts = [int(n) for n in args.writers.split(",")] * args.repeat
    reports = []
    with tempfile.TemporaryDirectory(prefix="bench-writers-") as directory:
        sample_write(sample_generate(scale=args.scale, seed=args.seed), directory)
        lines = sum(len((Path(directory) / f"{file}.csv").read_bytes().splitlines()) - 1 for file in FILES)
        for handler in args.handlers.split(","):
            print(f"{handler}…", file=sys.stderr, flush=True)
            reports.append(run_handler(handler=handler, directory=Path(directory), counts=counts, cycles=args.cycles))
    print(
        f"scale {args.scale} ({lines:,} lines per writer's dataset), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores"
    )
    print(table(reports))
    (ROOT / "var" / "writers").mkdir(parents=True, exist_ok=True)
    (ROOT / "var" / "writers" / "report.json").write_text(json.dumps(reports, indent=1))


if __name__ == "__main__":
    main()
