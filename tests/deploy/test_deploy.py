"""deploy/ and docker-compose.yml cannot run here: their variables, queues and commands are checked
against the settings instead, and every variable of .env.example against what reads it."""

import json
import re
from pathlib import Path

import pytest
import yaml
from celery import current_app
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent.parent
DEPLOY = ROOT / "deploy"
SETTINGS_DIR = ROOT / "zemoga_datasets" / "settings"
# Read by libraries rather than by the settings: Django, gunicorn and Celery's entry points
# (manage.py, wsgi.py, celery.py) and boto3's credential chain.
READ_BY_LIBRARIES = {"DJANGO_SETTINGS_MODULE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def _settings_variables() -> set[str]:
    """Every variable the settings read through django-environ (`env.str("NAME", ...)`, ...)."""
    text = "\n".join(path.read_text() for path in SETTINGS_DIR.glob("*.py"))
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))


def _script_text() -> str:
    return "\n".join(path.read_text() for path in (ROOT / "devservices").glob("*.sh"))


def _task_definitions() -> dict[str, dict]:
    return {
        path.stem: json.loads(path.read_text()) for path in (DEPLOY / "ecs").glob("*.json") if path.stem != "services"
    }


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _env_example() -> list[tuple[str, list[str]]]:
    """(variable, the comment lines of the block above it) for each variable of .env.example; one
    block of comments may describe several variables that follow it."""
    entries, comments, after_variable = [], [], False
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.startswith("#"):
            comments = [line] if after_variable else [*comments, line]
            after_variable = False
        elif "=" in line:
            entries.append((line.split("=", 1)[0], list(comments)))
            after_variable = True
        else:
            comments, after_variable = [], False
    return entries


def test_every_variable_the_task_definitions_set_is_read_by_the_settings():
    known = _settings_variables() | READ_BY_LIBRARIES
    for name, task in _task_definitions().items():
        (container,) = task["containerDefinitions"]
        names = [item["name"] for item in container["environment"]] + [item["name"] for item in container["secrets"]]
        assert len(names) == len(set(names)), name
        assert set(names) <= known, (name, set(names) - known)
        # secrets (the key, the database's and Atlas's passwords) never in plain environment
        assert {"SECRET_KEY", "DATABASE_URL", "MONGODB_URI"} <= {item["name"] for item in container["secrets"]}


def test_the_secrets_example_names_settings_and_atlas_uses_tls():
    secrets = json.loads((DEPLOY / "secrets.example.json").read_text())
    assert set(secrets) <= _settings_variables()
    assert secrets["MONGODB_URI"].startswith("mongodb+srv://")
    assert "tls=true" in secrets["MONGODB_URI"]
    assert "sslmode=verify-full" in secrets["DATABASE_URL"]


def test_every_variable_docker_compose_sets_for_the_app_is_read_by_the_settings():
    compose = _compose()
    known = _settings_variables() | READ_BY_LIBRARIES
    app = compose["x-app"]["environment"]
    assert set(app) <= known, set(app) - known
    assert "minio" not in (ROOT / "docker-compose.yml").read_text().lower()
    assert {"postgres", "elasticmq", "s3proxy", "web", "worker", "worker-light", "beat"} <= set(compose["services"])
    assert app["CELERY_BROKER_URL"].startswith("sqs://")
    assert app["DATABASE_URL"].startswith("postgres://")


def test_every_variable_of_the_env_example_is_documented_and_read():
    readers = _settings_variables() | READ_BY_LIBRARIES
    scripts = _script_text()
    for name, comments in _env_example():
        assert comments, f"{name} has no comment line in .env.example"
        assert name in readers or re.search(rf"\b{name}\b", scripts), f"nothing reads {name} of .env.example"


def test_every_variable_the_settings_read_is_in_the_env_example():
    listed = {name for name, _ in _env_example()}
    # Read by the test settings only, set by devservices/test.sh and tests/conftest.py.
    test_only = {"TEST_DATABASE_URL", "TEST_MONGODB_NAME", "TEST_S3_BUCKET", "TEST_S3_ENDPOINT_URL"}
    test_only |= {"TEST_JOB_LEASE_SECONDS"}
    assert _settings_variables() - test_only <= listed, _settings_variables() - test_only - listed


def _queue_attributes() -> dict[str, dict]:
    return {
        queue["QueueName"]: queue["Attributes"]
        for queue in json.loads((DEPLOY / "sqs-queues.json").read_text())["queues"]
    }


def test_the_sqs_queues_hide_a_message_longer_than_a_job_can_run_and_long_poll():
    example = settings.DEPLOY_DEFAULTS
    attributes = _queue_attributes()
    for queue in (example["JOB_QUEUE_HEAVY"], example["JOB_QUEUE_LIGHT"]):
        assert int(attributes[queue]["VisibilityTimeout"]) == settings.BROKER_VISIBILITY_TIMEOUT_SECONDS
        assert settings.BROKER_VISIBILITY_TIMEOUT_SECONDS > settings.CELERY_TASK_TIME_LIMIT
        assert int(attributes[queue]["VisibilityTimeout"]) <= 12 * 3600  # SQS's maximum
        assert int(attributes[queue]["ReceiveMessageWaitTimeSeconds"]) == int(example["SQS_WAIT_TIME_SECONDS"])
        # ElasticMQ (make cluster) has the same queues with the same timeout
        conf = (ROOT / "devservices" / "elasticmq.conf").read_text()
        block = re.search(rf'"{queue}" \{{(.*?)\}}', conf, re.S).group(1)
        assert f"defaultVisibilityTimeout = {settings.BROKER_VISIBILITY_TIMEOUT_SECONDS} seconds" in block


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("uploads.tasks.version_process_task", "heavy"),
        ("uploads.tasks.dataset_delete_task", "light"),
        ("jobs.sweep", "light"),
    ],
)
def test_processing_is_routed_to_the_heavy_queue_and_everything_short_to_the_light_one(task, queue):
    routed = current_app.amqp.router.route({}, task)["queue"].name
    assert routed == {"heavy": settings.JOB_QUEUE_HEAVY, "light": settings.JOB_QUEUE_LIGHT}[queue]


def test_workers_are_subscribed_so_a_delete_never_waits_behind_processing():
    example = settings.DEPLOY_DEFAULTS
    heavy, light = example["JOB_QUEUE_HEAVY"], example["JOB_QUEUE_LIGHT"]
    tasks = _task_definitions()
    commands = {name: tasks[name]["containerDefinitions"][0]["command"] for name in ("worker", "worker-light")}
    assert commands["worker"][commands["worker"].index("-Q") + 1] == heavy
    assert commands["worker-light"][commands["worker-light"].index("-Q") + 1] == light
    services = _compose()["services"]
    assert f"-Q {heavy} " in services["worker"]["command"]
    assert f"-Q {light} " in services["worker-light"]["command"]
    cluster = (ROOT / "devservices" / "cluster.sh").read_text()
    assert '-Q "${JOB_QUEUE_HEAVY:-' + heavy in cluster
    assert '-Q "${JOB_QUEUE_LIGHT:-' + light in cluster


def test_exactly_one_beat_runs_and_the_workers_scale_on_the_heavy_queue():
    services = json.loads((DEPLOY / "ecs" / "services.json").read_text())
    beat = services["beat"]
    assert beat["desiredCount"] == 1
    assert beat["deploymentConfiguration"]["maximumPercent"] == 100
    scaling = json.loads((DEPLOY / "autoscaling.json").read_text())
    assert scaling["scalableTarget"]["ResourceId"].endswith(services["worker"]["serviceName"])
    metrics = scaling["scalingPolicy"]["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]
    queues = {
        dimension["Value"]
        for metric in metrics["Metrics"]
        if "MetricStat" in metric
        for dimension in metric["MetricStat"]["Metric"]["Dimensions"]
        if dimension["Name"] == "QueueName"
    }
    assert queues == {settings.DEPLOY_DEFAULTS["JOB_QUEUE_HEAVY"]}


def test_the_bucket_refuses_plain_http_and_is_not_public():
    policy = json.loads((DEPLOY / "s3-bucket-policy.json").read_text())
    deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
    assert any(s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in deny)
    assert all(s["Principal"] != "*" for s in policy["Statement"] if s["Effect"] == "Allow")
    assert all(json.loads((DEPLOY / "s3-public-access-block.json").read_text()).values())


def test_a_worker_started_without_a_queue_takes_from_both():
    # `make run` and the Procfile start one worker without -Q: it must process and delete
    assert set(current_app.amqp.queues) == {settings.JOB_QUEUE_HEAVY, settings.JOB_QUEUE_LIGHT}
