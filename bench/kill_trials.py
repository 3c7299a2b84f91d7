"""Kill trials: SIGKILL a real worker at random moments of a 100,000-column job; does each job end
exactly once, on its own, and how long does the recovery take?

    .venv/bin/python bench/kill_trials.py [--trials 10] [--scale 10] [--seed 0]

Starts its own FerretDB and Redis (the test profile's service script on ports of its own), a
Celery worker (prefork, one process, as `make run`) and Celery beat, with the default job settings
(`JOB_LEASE_SECONDS`, `JOB_SWEEP_SECONDS`, ...). A first job runs untouched to time it. Then, per
trial: upload, wait a random moment within that time, SIGKILL the whole worker (main process and
its child; every other trial only the child, as an OOM kill of the pool process), start a worker
again if it died, and wait for the final state. A trial ends "exactly once" when the version is
`done`, exactly one run of the job completed, no two runs overlapped, and the documents per
collection equal the summary's counts. Recovery = from a worker being available again to the
final state. Each trial uses a MongoDB database of its own, dropped afterwards.
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FILES = ("namespaces", "datapoints", "columns")
WORK = ROOT / "var" / "kill-trials"


def _services(ferret_port: int, redis_port: int) -> dict[str, str]:
    env = {**os.environ, "SERVICES_PROFILE": "test", "TEST_FERRETDB_PORT": str(ferret_port)}
    env["TEST_REDIS_PORT"] = str(redis_port)
    output = subprocess.run(
        ["devservices/services.sh", "start"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout
    return dict(line.split("=", 1) for line in output.split())


def _stop_services(ferret_port: int, redis_port: int) -> None:
    env = {**os.environ, "SERVICES_PROFILE": "test", "TEST_FERRETDB_PORT": str(ferret_port)}
    env["TEST_REDIS_PORT"] = str(redis_port)
    subprocess.run(["devservices/services.sh", "stop"], cwd=ROOT, env=env, check=False)


class Celery:
    def __init__(self, command: str, env: dict[str, str], log: Path):
        self.log = log
        start = log.stat().st_size if log.exists() else 0
        arguments = [str(Path(sys.executable).parent / "celery"), "-A", "zemoga_datasets", command, "-l", "INFO"]
        if command == "worker":
            arguments += ["--concurrency=1", "--without-gossip", "--without-mingle"]
            ready = b" ready."
        else:
            arguments += ["--schedule", str(WORK / "celerybeat-schedule")]
            ready = b"beat: Starting"
        with log.open("ab") as handle:
            # A session of its own, so that the whole worker (main process and child) can be killed.
            self.process = subprocess.Popen(
                arguments, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + 120
        while ready not in log.read_bytes()[start:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery {command} did not start; see {log}")
            time.sleep(0.2)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ferretdb-port", type=int, default=27021)
    parser.add_argument("--redis-port", type=int, default=6383)
    parser.add_argument("--duration", type=float, help="seconds an untouched job takes (skips timing one)")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    WORK.mkdir(parents=True, exist_ok=True)
    service_env = _services(args.ferretdb_port, args.redis_port)
    env = {
        **os.environ,
        **service_env,
        "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.development",
        "DEBUG": "0",
        "DATABASE_URL": f"sqlite:///{WORK / 'db.sqlite3'}",
        "MEDIA_DIR": str((WORK / "media").relative_to(ROOT)),
        "AWS_STORAGE_BUCKET_NAME": "",
        "MONGODB_NAME": "kill_trials_calibration",
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)

    import django

    django.setup()
    from django.core.files.base import ContentFile
    from django.utils import timezone
    from pymongo import MongoClient

    from catalog.mongo import version_collection_name
    from groundtruth import sample_generate
    from jobs.models import JobRun
    from uploads.models import DatasetVersion
    from uploads.services import VERSION_JOB, dataset_create

    files = sample_generate(scale=args.scale, seed=args.seed).files
    columns = files["columns"].count(b"\n") - 1
    print(f"dataset: {columns:,} column rows", flush=True)
    mongo = MongoClient(service_env["MONGODB_URI"])
    worker_log, beat_log = WORK / "worker.log", WORK / "beat.log"
    beat = Celery("beat", env, beat_log)

    def upload(name: str) -> str:
        uploads = {file: ContentFile(files[file], name=f"{file}.csv") for file in FILES}
        return str(dataset_create(name=name, owner=None, files=uploads).pk)

    def final(version_id: str, timeout: float) -> DatasetVersion:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            version = DatasetVersion.objects.get(pk=version_id)
            runs = JobRun.objects.filter(lease__kind=VERSION_JOB, lease__object_id=version_id)
            if version.is_finished and not runs.filter(outcome="running").exists():
                return version
            time.sleep(0.5)
        raise TimeoutError(f"version {version_id} not final after {timeout} s")

    def started(version_id: str) -> float:
        while DatasetVersion.objects.get(pk=version_id).status == "queued":
            time.sleep(0.1)
        return time.monotonic()

    # Calibration: one job untouched, unless its duration is given.
    duration = args.duration
    if duration is None:
        worker = Celery("worker", env, worker_log)
        calibration = upload("calibration")
        began = started(calibration)
        final(calibration, 1800)
        duration = time.monotonic() - began
        worker.stop()
        mongo.drop_database("kill_trials_calibration")
    print(f"untouched job: {duration:.1f} s{' (given)' if args.duration else ''}", flush=True)

    results = []
    try:
        for trial in range(1, args.trials + 1):
            database = f"kill_trials_{trial}"
            trial_env = {**env, "MONGODB_NAME": database}
            worker = Celery("worker", trial_env, worker_log)
            version_id = upload(f"trial {trial}")
            began = started(version_id)
            moment = rng.uniform(0.02, 0.98) * duration
            time.sleep(max(0.0, began + moment - time.monotonic()))
            whole = trial % 2 == 1
            at_kill = DatasetVersion.objects.get(pk=version_id)
            stage = at_kill.stage if not at_kill.is_finished else "already finished: the kill hit an idle worker"
            if whole:
                worker.kill()
                worker = Celery("worker", trial_env, worker_log)
            else:
                for child in _children(worker.process.pid):
                    os.kill(child, signal.SIGKILL)
            available, available_at = time.monotonic(), timezone.now()
            version = final(version_id, 1800)
            recovery = time.monotonic() - available
            worker.stop()

            runs = list(JobRun.objects.filter(lease__kind=VERSION_JOB, lease__object_id=version_id))
            runs.sort(key=lambda run: run.started_at)
            overlap = any(a.ended_at is None or a.ended_at > b.started_at for a, b in zip(runs, runs[1:]))
            completed = [run.outcome for run in runs].count("completed")
            summary = {}
            if version.summary_json:
                with version.summary_json.open("rb") as handle:
                    summary = json.loads(handle.read())
            counts = {
                name: mongo[database][version_collection_name(version=version.records_key, kind=name)].count_documents(
                    {}
                )
                for name in FILES
            }
            expected = {name: summary.get("files", {}).get(name, {}).get("rows_persisted") for name in FILES}
            once = version.status == "done" and completed == 1 and not overlap and counts == expected
            # How long the sweep took to start the job again (the rest of the recovery is the run itself).
            restart = (runs[-1].started_at - available_at).total_seconds() if len(runs) > 1 else 0.0
            results.append({"once": once, "recovery": recovery, "restart": restart})
            print(
                f"trial {trial}: killed {'worker (main + child)' if whole else 'pool child'} at "
                f"{moment:.1f} s ({stage}); runs {[run.outcome for run in runs]}; {version.status}; "
                f"documents {'= summary' if counts == expected else f'{counts} != {expected}'}; "
                f"{'exactly once' if once else 'NOT exactly once'}; restarted after {restart:.1f} s, "
                f"final {recovery:.1f} s after a worker was available",
                flush=True,
            )
            mongo.drop_database(database)
    finally:
        beat.stop()
        _stop_services(args.ferretdb_port, args.redis_port)

    def spread(key: str) -> str:
        values = [result[key] for result in results]
        return f"min {min(values):.1f} s, median {statistics.median(values):.1f} s, max {max(values):.1f} s"

    print(
        f"\n{sum(r['once'] for r in results)} of {len(results)} trials ended exactly once; job restarted "
        f"({spread('restart')}); final state after a worker was available again ({spread('recovery')}); "
        f"untouched job {duration:.1f} s"
    )


if __name__ == "__main__":
    main()
