"""The application's real work on FerretDB with its SQLite handler and with its PostgreSQL handler,
in one run on the same machine, plus the field queries a redesign would use.

    .venv/bin/python bench/engines.py [--scale 10] [--handlers sqlite,postgresql] [--query-timeout 120]

For each handler, in turn: fresh services of their own (devservices/services.sh, test profile on
the ports below, FERRETDB_HANDLER=<handler>), then in a child process: `dataset_create` +
`version_process` of one generated dataset (stage by stage), every page's server time
(bench/pages.py: browse, data point, anomalies, search, export), direct field queries on the
`columns` collection of the version (checked against the browse index), inserting and `drop()`ping
a copy of the columns, and `dataset_delete` (a `drop()` per collection); then the services stop.
A query slower than 1 s runs once; on the SQLite handler each is bounded by
--query-timeout (maxTimeMS; FerretDB refuses it on distinct).
Ports: ENGINES_FERRETDB_PORT (27020), ENGINES_REDIS_PORT (6382), ENGINES_POSTGRES_PORT (5436).
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from groundtruth import sample_generate, sample_write  # noqa: E402 - after the path

FILES = ("namespaces", "datapoints", "columns")


def _timed(function, *, repeat: int) -> tuple[float, object]:
    """Median seconds over `repeat` runs (one run when the first takes over a second) and the result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
        if times[0] > 1:
            break
    return statistics.median(times), result


def child(*, directory: Path, handler: str, query_timeout: float, repeat: int) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")
    django.setup()
    from django.core.files import File
    from django.core.management import call_command
    from pymongo.errors import ExecutionTimeout, OperationFailure

    from catalog import selectors
    from catalog.mongo import mongo_connect, version_collection
    from uploads import processing, services
    from uploads.models import Dataset

    call_command("migrate", interactive=False, verbosity=0)
    mongo_connect()
    out: dict = {"handler": handler, "stages": {}, "queries": {}}
    for name in ("pipeline_run", "records_persist", "anomalies_persist", "browse_index_persist", "reports_render"):
        function = getattr(processing, name)

        def wrapper(*args, _function=function, _name=name, **kwargs):
            started = time.perf_counter()
            try:
                return _function(*args, **kwargs)
            finally:
                out["stages"][_name] = out["stages"].get(_name, 0) + time.perf_counter() - started

        setattr(processing, name, wrapper)

    handles = {file: open(directory / f"{file}.csv", "rb") for file in FILES}  # noqa: SIM115 - closed below
    version = services.dataset_create(
        name=f"engines {handler}",
        owner=None,
        enqueue=False,
        files={file: File(handles[file], name=f"{file}.csv") for file in FILES},
    )
    for handle in handles.values():
        handle.close()
    started = time.perf_counter()
    version = processing.version_process(version_id=str(version.pk))
    out["process"] = time.perf_counter() - started
    out["status"] = str(version.status)
    out["records"] = sum(part["rows_persisted"] for part in version.counts.values())
    out["anomalies"] = version.anomalies_total
    dataset_id = str(version.dataset_id)
    key = version.records_key
    size = subprocess.run(
        ["du", "-sm", os.environ["ENGINES_DATA_DIR"]], capture_output=True, text=True, check=False
    ).stdout
    out["disk MiB"] = int(size.split()[0]) if size else None

    pages = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "pages.py"), "--dataset", dataset_id, "--repeat", str(repeat)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    out["pages"] = {
        match[1].strip(): (float(match[2]), float(match[3]))
        for match in re.finditer(r"^(.+?)\s+([\d.]+)\s+([\d.]+)$", pages.stdout, re.M)
    }

    # Direct field queries on the records, with the expected answers from the browse index.
    namespace = selectors.namespaces_for_dataset(version=key)[0]["namespace_id"]
    databases = selectors.databases_for_namespace(version=key, namespace_id=namespace)
    database = databases[0]["name"]
    tables = selectors.tables_for_database(version=key, namespace_id=namespace, database=database)
    table = tables[0]
    path = {"namespace_id": namespace, "dataset_database_name": database, "dataset_table_name": table["name"]}
    column_items = selectors.columns_for_table(
        version=key, namespace_id=namespace, database=database, table=table["name"]
    ).object_list
    column = column_items[0]
    data_point = next(m["data_point_id"] for item in column_items for m in item["mappings"] if m["data_point_id"])
    usages = selectors.columns_for_datapoint(version=key, data_point_id=data_point).paginator.count
    columns = version_collection(version=key, kind="columns")
    limit_ms = int(query_timeout * 1000) if handler == "sqlite" else 0
    by_path = path
    queries = {
        "find by _id": (
            lambda: columns.find_one({"_id": column["mappings"][0]["column_id"]}) is not None,
            True,
        ),
        "find by 4 fields, limit 50": (
            lambda: len(list(columns.find(by_path, max_time_ms=limit_ms).limit(50))),
            min(50, table["rows"]),
        ),
        "count by 4 fields": (lambda: columns.count_documents(by_path, maxTimeMS=limit_ms), table["rows"]),
        "distinct databases of a namespace": (
            lambda: len(columns.distinct("dataset_database_name", {"namespace_id": namespace})),
            databases.paginator.count,
        ),
        "tables per database ($group)": (
            lambda: len(
                list(
                    columns.aggregate(
                        [
                            {
                                "$match": {
                                    "namespace_id": namespace,
                                    "dataset_database_name": database,
                                }
                            },
                            {"$group": {"_id": "$dataset_table_name", "rows": {"$sum": 1}}},
                            {"$sort": {"_id": 1}},
                        ],
                        maxTimeMS=limit_ms,
                    )
                )
            ),
            tables.paginator.count,
        ),
        "find by data point": (
            lambda: len(list(columns.find({"data_point_id": data_point}, max_time_ms=limit_ms))),
            usages,
        ),
    }
    for name, (query, expected) in queries.items():
        try:
            seconds, got = _timed(query, repeat=repeat)
            out["queries"][name] = {"seconds": seconds, "right": got == expected, "got": got, "expected": expected}
        except (ExecutionTimeout, OperationFailure) as exc:
            out["queries"][name] = {"seconds": None, "error": str(exc)[:120]}

    # A copy of the columns in a collection of its own, then dropped (what per-version collections do).
    documents = list(columns.find({}))
    probe = columns.database["engines_drop_probe"]
    probe.drop()
    started = time.perf_counter()
    for start in range(0, len(documents), 10_000):
        probe.insert_many(documents[start : start + 10_000], ordered=False)
    out["copy insert"] = time.perf_counter() - started
    out["copy documents"] = len(documents)
    started = time.perf_counter()
    probe.drop()
    out["copy drop"] = time.perf_counter() - started

    started = time.perf_counter()
    services.dataset_delete(dataset=Dataset.objects.get(pk=dataset_id))
    out["delete"] = time.perf_counter() - started
    return out


def run_handler(*, handler: str, directory: Path, args) -> dict:
    ports = {
        "TEST_FERRETDB_PORT": os.environ.get("ENGINES_FERRETDB_PORT", "27020"),
        "TEST_REDIS_PORT": os.environ.get("ENGINES_REDIS_PORT", "6382"),
        "TEST_POSTGRES_PORT": os.environ.get("ENGINES_POSTGRES_PORT", "5436"),
    }
    env = {**os.environ, **ports, "SERVICES_PROFILE": "test", "FERRETDB_HANDLER": handler}
    services = [str(ROOT / "devservices" / "services.sh")]
    var = ROOT / "var" / "test" / f"services-{ports['TEST_FERRETDB_PORT']}"
    subprocess.run([*services, "stop"], env=env, check=True, cwd=ROOT)
    shutil.rmtree(var, ignore_errors=True)
    shutil.rmtree(ROOT / "var" / "engines", ignore_errors=True)
    started = subprocess.run([*services, "start"], env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    env.update(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
    env.update(
        MONGODB_NAME="zemoga_datasets_engines",
        DATABASE_URL=f"sqlite:///{ROOT / 'var' / 'engines' / 'db.sqlite3'}",
        MEDIA_DIR="var/engines/media",
    )
    (ROOT / "var" / "engines").mkdir(parents=True, exist_ok=True)
    try:
        command = [sys.executable, __file__, "--child", str(directory), "--handlers", handler]
        command += ["--query-timeout", str(args.query_timeout), "--repeat", str(args.repeat)]
        # PostgreSQL's folder includes its write-ahead log (at least 80 MiB once written to).
        env["ENGINES_DATA_DIR"] = str(var / ("postgresql" if handler == "postgresql" else "ferretdb"))
        return json.loads(subprocess.run(command, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout)
    finally:
        subprocess.run([*services, "stop"], env=env, check=False, cwd=ROOT)


def _cell(value) -> str:
    if value is None:
        return "—"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.1f} s"


def table(reports: list[dict]) -> str:
    handlers = [report["handler"] for report in reports]
    lines = [f"| what | {' | '.join(handlers)} |", "| --- |" + " --- |" * len(handlers)]

    def row(name, values):
        lines.append(f"| {name} | {' | '.join(values)} |")

    row("records / anomalies", [f"{r['records']:,} / {r['anomalies']:,} ({r['status']})" for r in reports])
    row("processing (version_process)", [_cell(r["process"]) for r in reports])
    for stage in reports[0]["stages"]:
        row(f"  {stage}", [_cell(r["stages"].get(stage)) for r in reports])
    for page in reports[0]["pages"]:
        row(
            f"page: {page} (median / max)",
            [f"{r['pages'][page][0]:.1f} / {r['pages'][page][1]:.1f} ms" for r in reports],
        )
    for query in reports[0]["queries"]:
        values = []
        for r in reports:
            q = r["queries"][query]
            values.append(
                f"{_cell(q['seconds'])}{'' if q.get('right', True) else ' WRONG'}"
                if q["seconds"] is not None
                else f"refused/timed out ({q['error']})"
            )
        row(f"query: {query}", values)
    row("insert a copy of the columns", [f"{_cell(r['copy insert'])} ({r['copy documents']:,})" for r in reports])
    row("drop() that copy", [_cell(r["copy drop"]) for r in reports])
    row("dataset_delete", [_cell(r["delete"]) for r in reports])
    row("data folder after processing", [f"{r['disk MiB']} MiB" for r in reports])
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--handlers", default="sqlite,postgresql")
    parser.add_argument("--query-timeout", type=float, default=120)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        report = child(
            directory=args.child, handler=args.handlers, query_timeout=args.query_timeout, repeat=args.repeat
        )
        print(json.dumps(report))
        return
    reports = []
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as directory:
        sample_write(sample_generate(scale=args.scale, seed=args.seed), directory)
        for handler in args.handlers.split(","):
            print(f"{handler}…", file=sys.stderr, flush=True)
            reports.append(run_handler(handler=handler, directory=Path(directory), args=args))
            print(json.dumps(reports[-1]), file=sys.stderr, flush=True)
    print(f"scale {args.scale}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(table(reports))


if __name__ == "__main__":
    main()
