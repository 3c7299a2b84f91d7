"""Proof of scale: 20 datasets through `make cluster` (gunicorn, SQS, S3, PostgreSQL) with 1, 2 and 4
workers, then a worker SIGKILLed in the middle of a job.

    .venv/bin/python bench/cluster.py [--workers 1,2,4] [--datasets 20] [--min-columns 1000]
                                      [--max-columns 100000] [--kill-columns N] [--seed 0]

Per worker count: starts `devservices/cluster.sh` (WORKERS=N; services on ports of its own, under
var/), uploads the datasets through the web as a person would (login, the upload form), waits for
each to end, and prints the makespan (first upload to last job ended), the median and p95 queue
wait (upload to its job's first run starting on a worker), whether every dataset ended `done`
with exactly one completed run, and whether any job ran on two workers at once (overlapping runs
in the jobs' run log). Sizes run from --min-columns to --max-columns (columns file; groundtruth's
generator), spread evenly on a log scale and shuffled; --max-columns lower for a quick run.
After the last worker count (if several workers): uploads a dataset of --kill-columns (default
--max-columns), SIGKILLs the whole worker process running it once it is a fifth done, and prints
how long until the job ended on another worker. Figures vary with the machine's load: the load
average is printed with them.
"""

import argparse
import csv
import io
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILES = ("namespaces", "datapoints", "columns")
PORTS = {"FERRETDB_PORT": 27290, "POSTGRES_PORT": 27291, "ELASTICMQ_PORT": 27292, "S3_PORT": 27293}
WEB_PORT = 27294


def _sizes(count: int, smallest: int, largest: int, seed: int) -> list[int]:
    sizes = [int(round(size, -2)) for size in np.geomspace(smallest, largest, count)]
    np.random.default_rng(seed).shuffle(sizes)
    return sizes


def _files(columns: int, seed: int, cache: dict) -> dict[str, bytes]:
    """The generator's sample at the smallest scale that has `columns` columns, cut to that many."""
    from groundtruth import sample_generate

    scale = max(1, -(-columns // 10_000))
    if scale not in cache:
        cache[scale] = sample_generate(scale=scale, seed=seed).files
    files = cache[scale]
    rows = list(csv.reader(io.StringIO(files["columns"].decode("utf-8"), newline="")))
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\n").writerows(rows[: columns + 1])
    return {**files, "columns": text.getvalue().encode("utf-8")}


class Cluster:
    """`devservices/cluster.sh` with WORKERS=n, in a session of its own."""

    def __init__(self, workers: int, log: Path):
        env = {**os.environ, **{name: str(port) for name, port in PORTS.items()}}
        env.update(WORKERS=str(workers), CLUSTER_WEB_PORT=str(WEB_PORT), CLUSTER_MONGODB_NAME="zemoga_datasets_bench")
        self.log = log
        with log.open("wb") as handle:
            self.process = subprocess.Popen(
                ["devservices/cluster.sh"], cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 300
        while b"Ctrl-C stops everything" not in log.read_bytes():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the cluster did not start; see {log}")
            time.sleep(0.5)
        credentials = (ROOT / "var" / "cluster-admin-credentials.txt").read_text()
        self.password = re.search(r"password: (\S+)", credentials).group(1)

    def worker_pids(self) -> dict[str, int]:
        run = ROOT / "var" / "cluster" / "run"
        return {path.stem: int(path.read_text()) for path in run.glob("worker-*.pid")}

    def stop(self) -> None:
        os.kill(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=120)


def _service_env() -> dict[str, str]:
    """The cluster's database, for reading the jobs' run log (services.sh start is idempotent)."""
    env = {**os.environ, "SERVICES_SHAPE": "cluster", **{name: str(port) for name, port in PORTS.items()}}
    output = subprocess.run(
        ["devservices/services.sh", "start"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return dict(line.split("=", 1) for line in output.split())


class Web:
    """A person at the upload form, over HTTP."""

    def __init__(self, password: str):
        import httpx

        self.client = httpx.Client(base_url=f"http://127.0.0.1:{WEB_PORT}", timeout=300)
        self._post("/accounts/login/", {"username": "admin", "password": password})

    def _token(self, url: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.client.get(url).text).group(1)

    def _post(self, url: str, data: dict, files: dict | None = None):
        response = self.client.post(url, data={**data, "csrfmiddlewaretoken": self._token(url)}, files=files)
        assert response.status_code == 302, (url, response.status_code, response.text[:500])
        return response

    def upload(self, name: str, files: dict[str, bytes]) -> str:
        uploads = {f"{file}_file": (f"{file}.csv", content, "text/csv") for file, content in files.items()}
        return self._post("/", {"name": name}, uploads).headers["location"].rstrip("/").split("/")[-1]


def _versions(dataset_ids: list[str]):
    from uploads.models import DatasetVersion

    return {str(v.dataset_id): v for v in DatasetVersion.objects.filter(dataset_id__in=dataset_ids, number=1)}


def _wait_all(dataset_ids: list[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        versions = _versions(dataset_ids)
        if len(versions) == len(dataset_ids) and all(v.is_finished for v in versions.values()):
            return versions
        time.sleep(1)
    raise RuntimeError(f"not every dataset ended within {timeout:.0f} s")


def _runs(version_id: str) -> list:
    from jobs.models import JobRun
    from uploads.services import VERSION_JOB

    return list(JobRun.objects.filter(lease__kind=VERSION_JOB, lease__object_id=version_id).order_by("started_at"))


def _overlap(runs: list) -> bool:
    return any(later.started_at < (earlier.ended_at or later.started_at) for earlier, later in zip(runs, runs[1:]))


def _percentile(values: list[float], fraction: float) -> float:
    return float(np.percentile(values, 100 * fraction)) if values else float("nan")


def _round(workers: int, sizes: list[int], seed: int, cache: dict, work: Path, kill_columns: int) -> dict:
    from django.db import connections

    from jobs.models import RunOutcome

    cluster = Cluster(workers, work / f"cluster-{workers}.log")
    connections.close_all()  # PostgreSQL restarted with the cluster
    try:
        web = Web(cluster.password)
        uploaded_at = time.time()
        ids = [web.upload(f"bench-cluster {workers}w #{i} {size} columns", _files(size, seed, cache))
               for i, size in enumerate(sizes)]  # fmt: skip
        uploads_seconds = time.time() - uploaded_at
        versions = _wait_all(ids, timeout=3600)
        waits, ended, done_once, overlapping, owners = [], [], 0, 0, set()
        for version in versions.values():
            runs = _runs(str(version.pk))
            completed = [run for run in runs if run.outcome == RunOutcome.COMPLETED]
            done_once += version.status == "done" and len(completed) == 1
            overlapping += _overlap(runs)
            owners.update(run.owner for run in runs)
            waits.append((runs[0].started_at - version.created_at).total_seconds())
            ended.append(max(run.ended_at for run in runs))
        first = min(v.created_at for v in versions.values())
        result = {
            "workers": workers,
            "datasets": len(sizes),
            "uploads_s": round(uploads_seconds, 1),
            "makespan_s": round((max(ended) - first).total_seconds(), 1),
            "queue_wait_median_s": round(statistics.median(waits), 1),
            "queue_wait_p95_s": round(_percentile(waits, 0.95), 1),
            "done_exactly_once": f"{done_once}/{len(sizes)}",
            "jobs_on_two_workers_at_once": overlapping,
            "worker_processes_used": len(owners),
            "load_average": os.getloadavg(),
        }
        if kill_columns:
            result["kill"] = _kill_trial(cluster, web, kill_columns, seed, cache)
        return result
    finally:
        cluster.stop()


def _kill_trial(cluster: Cluster, web: Web, size: int, seed: int, cache: dict) -> dict:
    """SIGKILLs the whole worker (main process and its pool child) running a job a fifth done."""
    from jobs.models import RunOutcome

    dataset_id = web.upload(f"bench-cluster kill {size} columns", _files(size, seed, cache))
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        version = _versions([dataset_id]).get(dataset_id)
        runs = _runs(str(version.pk)) if version else []
        if version and version.is_finished:
            raise RuntimeError(f"the job ended before it was a fifth done: use more --kill-columns than {size}")
        if runs and runs[-1].outcome == RunOutcome.RUNNING and version.percent >= 20:
            break
        time.sleep(0.1)
    else:
        raise RuntimeError("the job to kill never got a fifth done")
    child = int(runs[-1].owner.rsplit(":", 1)[1])
    group = os.getpgid(child)
    victim = next(name for name, pid in cluster.worker_pids().items() if pid == group)
    percent = version.percent
    os.killpg(group, signal.SIGKILL)
    killed_at = time.time()
    version = _wait_all([dataset_id], timeout=900)[dataset_id]
    runs = _runs(str(version.pk))
    return {
        "columns": size,
        "killed": f"{victim} (process group {group}) with the job {percent}% done",
        "seconds_to_done_on_another_worker": round(max(run.ended_at for run in runs).timestamp() - killed_at, 1),
        "status": version.status,
        "runs": [f"{run.owner} {run.outcome}" for run in runs],
        "another_worker": runs[-1].owner != runs[0].owner and runs[-1].outcome == RunOutcome.COMPLETED,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--datasets", type=int, default=20)
    parser.add_argument("--min-columns", type=int, default=1_000)
    parser.add_argument("--max-columns", type=int, default=100_000)
    parser.add_argument("--kill-columns", type=int, default=None, help="size of the killed job (--max-columns)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    work = ROOT / "var" / "bench-cluster"
    work.mkdir(parents=True, exist_ok=True)

    env = _service_env()
    os.environ.update(env)
    os.environ.update(DJANGO_SETTINGS_MODULE="zemoga_datasets.settings.development", DEBUG="0")
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    sizes = _sizes(args.datasets, args.min_columns, args.max_columns, args.seed)
    print(f"{args.datasets} datasets, columns: {sorted(sizes)}", flush=True)
    cache: dict = {}
    for workers in counts:
        kill = (args.kill_columns or args.max_columns) if workers == counts[-1] and workers > 1 else 0
        result = _round(workers, sizes, args.seed, cache, work, kill)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
