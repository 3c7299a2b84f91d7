"""`zemoga-datasets` against a live server and a real worker: the exit codes a pipeline reads,
the anomalies in three formats, export and list; and every request it sends follows the
published schema."""

import csv
import io
import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest

from engine import anomaly_group_fingerprint
from tests.conftest import SAMPLE_DIR
from zemoga_datasets_client.cli import main

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]


def zemoga(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    command = shutil.which("zemoga-datasets") or str(Path(os.sys.executable).parent / "zemoga-datasets")
    return subprocess.run(
        [command, *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _files(paths: dict[str, str]) -> list[str]:
    return [argument for file, path in paths.items() for argument in (f"--{file}", path)]


def _ids(stdout: str) -> tuple[str, str]:
    match = re.search(r"dataset (\S+), version \d+ \((\S+)\)", stdout)
    return match.group(1).rstrip(","), match.group(2)


def test_upload_wait_exits_with_the_verdict_then_reads_anomalies_export_and_list(site, sample_paths, output_dir):
    # when the sample is uploaded and waited for (it has error-severity anomalies)
    started = time.monotonic()
    upload = zemoga("upload", "--name", "Sample", *_files(sample_paths), "--wait", "--interval", "0.5")
    seconds = time.monotonic() - started
    (output_dir / "client_upload_wait.json").write_text(json.dumps({"seconds": round(seconds, 2)}))
    print(f"zemoga-datasets upload --wait on the sample: {seconds:.2f} s")

    # then it exits 1, after a progress bar and the verdict
    assert upload.returncode == 1, upload.stderr
    assert "100%" in upload.stderr
    assert "done; anomalies:" in upload.stdout
    dataset_id, version_id = _ids(upload.stdout)

    # and the anomalies come out as CSV, JSON and a table
    rows = list(csv.DictReader(io.StringIO(zemoga("anomalies", version_id, "--format", "csv").stdout)))
    with (SAMPLE_DIR / "expected_anomalies.csv").open() as handle:
        expected = {(r["file"], r["line"], r["field"], r["code"]) for r in csv.DictReader(handle)}
    assert {(r["file"], r["line"], r["field"], r["code"]) for r in rows} == expected
    listed = json.loads(zemoga("anomalies", version_id, "--format", "json", "--severity", "error").stdout)
    assert listed
    assert {a["severity"] for a in listed} == {"error"}
    table = zemoga("anomalies", version_id).stdout.splitlines()
    assert table[0].split() == ["file", "line", "field", "code", "severity", "value", "message"]
    assert len(table) == 11

    # and status, export and the list of datasets
    assert zemoga("status", version_id).returncode == 1
    export = json.loads(zemoga("export", dataset_id, "--namespace", "N1").stdout)
    assert any(key.endswith("_namespaces") for key in export)
    assert dataset_id in zemoga("datasets").stdout


def test_exit_0_for_a_clean_dataset_and_2_for_a_failed_one(site, clean_paths, tmp_path):
    clean = zemoga("upload", "--name", "Clean", *_files(clean_paths), "--wait", "--interval", "0.5")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no anomaly" in clean.stdout
    broken = tmp_path / "broken.csv"
    broken.write_text("something,else\n1,2\n")
    failed = zemoga("new-version", _ids(clean.stdout)[0], "--namespaces", str(broken), "--wait", "--interval", "0.5")
    assert failed.returncode == 2, failed.stdout + failed.stderr
    assert "failed" in failed.stdout


def test_exit_3_for_usage_permission_and_connection_problems(site, sample_paths):
    assert zemoga("upload", "--name", "x").returncode == 3  # no file
    assert zemoga("upload", "--name", "x", "--namespaces", "/no/such.csv").returncode == 3
    assert zemoga("frobnicate").returncode == 3
    refused = zemoga("datasets", env={"ZEMOGA_TOKEN": "zds_wrong"})
    assert refused.returncode == 3
    assert "401" in refused.stderr
    assert zemoga("datasets", env={"ZEMOGA_URL": "http://127.0.0.1:9"}).returncode == 3
    assert zemoga("datasets", env={"ZEMOGA_URL": ""}).returncode == 3
    # a wait that gives up (the version is queued behind nothing it could finish within 0 s)
    waited = zemoga("upload", "--name", "Impatient", *_files(sample_paths), "--wait", "--timeout", "0")
    assert waited.returncode == 3
    assert "not finished after 0 s" in waited.stderr


def _operation(schema: dict, method: str, path: str) -> dict:
    for template, operations in schema["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in operations:
            return operations[method.lower()]
    raise AssertionError(f"{method} {path} is not in the published schema")


def _check_against_schema(schema: dict, request, body: bytes) -> None:
    operation = _operation(schema, request.method, urlsplit(str(request.url)).path)
    declared = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
    for name, value in request.url.params.multi_items():
        assert name in declared, f"{request.method} {request.url.path}: undeclared query parameter {name}"
        parameter_schema = declared[name]["schema"]
        typed = int(value) if parameter_schema.get("type") == "integer" else value
        # the references (#/components/...) resolve within the published document
        jsonschema.validate(
            typed, {**parameter_schema, "components": schema["components"]}, cls=jsonschema.Draft202012Validator
        )
    headers = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
    if "idempotency-key" in request.headers:
        assert "idempotency-key" in headers
    if request.headers.get("content-type", "").startswith("application/json"):
        declared_body = operation["requestBody"]["content"]["application/json"]["schema"]
        jsonschema.validate(
            json.loads(body),
            {**declared_body, "components": schema["components"]},
            cls=jsonschema.Draft202012Validator,
        )
    elif request.method == "POST":
        form = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
        fields = {name.decode() for name in re.findall(rb'form-data; name="([^"]+)"', body)}
        assert fields
        assert fields <= set(form["properties"]), fields - set(form["properties"])
        assert set(form.get("required", [])) <= fields


def test_every_request_of_the_client_follows_the_published_schema(
    site, sample_paths, live_server, token, capsys, tmp_path
):
    import httpx

    schema = httpx.get(f"{live_server.url}/api/v1/openapi.json", headers={"Authorization": f"Bearer {token}"}).json()
    sent = []
    # the body is read as it leaves (a multipart body is read again from its files when sent)
    hooks = {"request": [lambda request: sent.append((request, request.read()))]}
    assert (
        main(["upload", "--name", "Schema", *_files(sample_paths), "--wait", "--interval", "0.3"], event_hooks=hooks)
        == 1
    )
    dataset_id, version_id = _ids(capsys.readouterr().out)
    for arguments in (
        ["anomalies", version_id, "--file", "namespaces", "--code", "duplicate-row", "--severity", "error"],
        ["anomalies", version_id, "--status", "new"],
        ["status", version_id],
        ["export", dataset_id, "--namespace", "N1", "--database", "fund_master"],
        ["export", dataset_id, "--query", "total"],
        ["datasets", "--name", "Sch"],
        ["groups", version_id, "--code", "whitespace", "--status", "new", "--format", "json"],
        ["accept", dataset_id, "--file", "columns", "--code", "blank-row", "--note", "n", "--until", "2999-01-31"],
        ["undo", dataset_id, anomaly_group_fingerprint(file="columns", code="blank-row", field="", value="")],
        ["rejected", version_id, "columns", "--output", str(tmp_path / "rejected.csv")],
        ["fix", version_id, "--all-fixable", "--download", str(tmp_path)],
        ["fix", version_id, "--all-fixable", "--version", "--wait", "--interval", "0.3"],
        ["new-version", dataset_id, "--columns", sample_paths["columns"]],
    ):
        assert main(arguments, event_hooks=hooks) in (0, 1), (arguments, capsys.readouterr())
    assert {request.method for request, _ in sent} == {"GET", "POST", "DELETE"}
    assert len(sent) >= 9
    for request, body in sent:
        _check_against_schema(schema, request, body)
