"""`make cluster` as an operator runs it: devservices/cluster.sh with two workers, on services of
its own (the test profile, on free ports), driven over HTTP like a person at the upload form."""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import OUTPUT_DIR, ROOT, SAMPLE_DIR, _free_port

pytestmark = [pytest.mark.e2e]

# What the test run itself set, which the cluster must not inherit (it runs the defaults).
NOT_INHERITED = re.compile(r"^(TEST_|CELERY_|JOB_QUEUE_|SQS_|DJANGO_SETTINGS_MODULE$|DATABASE_URL$|MONGODB_|AWS_)")


@pytest.fixture
def cluster(tmp_path):
    ports = {name: _free_port() for name in ("TEST_FERRETDB_PORT", "TEST_POSTGRES_PORT", "TEST_ELASTICMQ_PORT")}
    ports.update(TEST_S3_PORT=_free_port(), CLUSTER_WEB_PORT=_free_port())
    env = {name: value for name, value in os.environ.items() if not NOT_INHERITED.match(name)}
    env.update({name: str(port) for name, port in ports.items()})
    env.update(SERVICES_PROFILE="test", WORKERS="2", CLUSTER_DIR=str(tmp_path / "cluster"))
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = OUTPUT_DIR / f"cluster-{ports['CLUSTER_WEB_PORT']}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            ["devservices/cluster.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 240
        while b"Ctrl-C stops everything" not in log_path.read_bytes():
            assert process.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        yield {
            "url": f"http://127.0.0.1:{ports['CLUSTER_WEB_PORT']}",
            "dir": tmp_path / "cluster",
            "s3": ROOT / "var" / "test" / f"services-{ports['TEST_FERRETDB_PORT']}" / "s3",
            "log": log_path,
            "process": process,
        }
    finally:
        # SIGTERM, as Ctrl-C: the script stops every process it started, then the services.
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=120)
        shutil.rmtree(ROOT / "var" / "test" / f"services-{ports['TEST_FERRETDB_PORT']}", ignore_errors=True)


def _token(client: httpx.Client, url: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).text).group(1)


def test_the_cluster_serves_an_upload_through_sqs_to_the_s3_server_and_stops_on_sigterm(cluster):
    # given the cluster's admin, logged in
    credentials = (cluster["dir"] / "admin-credentials.txt").read_text()
    password = re.search(r"password: (\S+)", credentials).group(1)
    client = httpx.Client(base_url=cluster["url"], timeout=60)
    login = {"username": "admin", "password": password, "csrfmiddlewaretoken": _token(client, "/accounts/login/")}
    assert client.post("/accounts/login/", data=login).status_code == 302

    # when the spec's sample is uploaded through the form
    files = {f"{name}_file": (f"{name}.csv", (SAMPLE_DIR / f"{name}.csv").read_bytes(), "text/csv") for name in (
        "namespaces", "datapoints", "columns")}  # fmt: skip
    response = client.post("/", data={"name": "Cluster", "csrfmiddlewaretoken": _token(client, "/")}, files=files)
    assert response.status_code == 302, response.text[:2000]
    dataset_id = response.headers["location"].rstrip("/").split("/")[-1]
    deadline = time.monotonic() + 120
    while (status := client.get(f"/datasets/{dataset_id}/status.json").json())["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.5)

    # then it ends done, its files are in the S3 server and none in any process's folder
    assert status["status"] == "done", status
    stored = {path.name for path in (cluster["s3"] / "zemoga-datasets" / "datasets" / dataset_id).rglob("*.*")}
    assert {"namespaces.csv", "datapoints.csv", "columns.csv", "anomalies.csv", "summary.json"} <= stored
    folders = ("web", "worker-1", "worker-2", "light", "beat")
    assert all(not any(path.is_file() for path in (cluster["dir"] / name).rglob("*")) for name in folders[:4])
    # and /readyz names what it checked, SQS among them
    ready = client.get("/readyz").json()
    assert ready["ready"]
    assert {name: check["service"] for name, check in ready["checks"].items()} == {
        "database": "postgresql",
        "mongodb": "mongodb",
        "broker": "sqs",
        "storage": "s3",
        "cache": "database",
    }
    # the processing ran on a heavy worker, each of which has its own node name
    logs = {name: (cluster["dir"] / "log" / f"{name}.log").read_text() for name in folders[1:4]}
    assert sum(log.count("version_process_task[") for name, log in logs.items() if name.startswith("worker")) >= 2
    assert "version_process_task[" not in logs["light"]
    assert "heavy-1@" in logs["worker-1"]
    assert "heavy-2@" in logs["worker-2"]
    assert "light@" in logs["light"]

    # when it is stopped (SIGTERM, as Ctrl-C), every process it started is gone
    pids = [int(path.read_text()) for path in (cluster["dir"] / "run").glob("*.pid")]
    assert len(pids) == 5
    os.kill(cluster["process"].pid, signal.SIGTERM)
    cluster["process"].wait(timeout=120)
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]
