"""CACHE_URL: what each value gives Django's CACHES, a clear refusal of any other, the default of
each shape (`make run`: the broker's Redis; SQS: the database), and deploy/ and docker-compose.yml
naming the database cache that their shape (SQS, PostgreSQL, no Redis) expects."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured

from zemoga_datasets.settings.base import cache_settings

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS = "django.core.cache.backends.redis.RedisCache"
DATABASE = "zemoga_datasets.cache.AtomicDatabaseCache"


@pytest.mark.parametrize(
    ("url", "kind", "backend", "location"),
    [
        ("redis://127.0.0.1:6379/1", "redis", REDIS, "redis://127.0.0.1:6379/1"),
        ("rediss://:secret@cache.example.com:6380/0", "redis", REDIS, None),
        ("db", "database", DATABASE, "django_cache"),
        ("database", "database", DATABASE, "django_cache"),
        (" DB ", "database", DATABASE, "django_cache"),
        ("locmem", "locmem", "django.core.cache.backends.locmem.LocMemCache", None),
    ],
)
def test_each_cache_url_gives_its_backend(url, kind, backend, location):
    named, config = cache_settings(url, connect_timeout=1.5)

    assert named == kind
    assert config["BACKEND"] == backend
    if location:
        assert config["LOCATION"] == location
    if kind == "redis":
        # an unreachable Redis costs a request seconds, not the operating system's minutes
        assert config["OPTIONS"] == {"socket_connect_timeout": 1.5, "socket_timeout": 1.5}
        assert config["LOCATION"] == url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("memcached://user:hunter2@cache:11211", "'memcached://…'"),
        ("redis://", "'redis://…'"),
        ("db://somewhere", "'db://…'"),
        ("file", "'file…'"),
        ("rediss:/:hunter2@cache:6379/1", "'rediss…'"),  # a typo: no `://`, the password still hidden
        ("postgres://zemoga:hunter2@db/zemoga", "'postgres://…'"),
    ],
)
def test_any_other_cache_url_is_refused_with_the_accepted_forms_and_no_password(url, shown):
    with pytest.raises(ImproperlyConfigured) as refused:
        cache_settings(url, connect_timeout=2)

    message = str(refused.value)
    assert message == (
        "CACHE_URL must be redis://HOST:PORT/DB (rediss:// with TLS), db (Django's database) or locmem "
        f"(one process only), not {shown}."
    )
    assert "hunter2" not in message


def _settings_in_a_process(**environment: str) -> subprocess.CompletedProcess:
    """The development settings as a fresh process reads them from this environment."""
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CACHE_KIND, s.CACHES['default'].get('LOCATION', ''))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.development", **environment}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_the_default_follows_the_broker_redis_for_make_run_the_database_with_sqs():
    run = _settings_in_a_process(CELERY_BROKER_URL="redis://127.0.0.1:6399/0", CACHE_URL="")
    cluster = _settings_in_a_process(CELERY_BROKER_URL="sqs://key:secret@127.0.0.1:9324", CACHE_URL="")
    chosen = _settings_in_a_process(CELERY_BROKER_URL="sqs://key:secret@127.0.0.1:9324", CACHE_URL="locmem")

    assert run.stdout.split() == ["redis", "redis://127.0.0.1:6399/1"], run.stderr[-2000:]
    assert cluster.stdout.split() == ["database", "django_cache"], cluster.stderr[-2000:]
    assert chosen.stdout.split()[0] == "locmem", chosen.stderr[-2000:]


def test_a_bad_cache_url_stops_the_process_at_start_with_its_message():
    started = _settings_in_a_process(CACHE_URL="memcached://cache:11211")

    assert started.returncode != 0
    assert started.stderr.strip().splitlines()[-1] == (
        "django.core.exceptions.ImproperlyConfigured: CACHE_URL must be redis://HOST:PORT/DB (rediss:// with TLS), "
        "db (Django's database) or locmem (one process only), not 'memcached://…'."
    )


def test_deploy_and_docker_compose_set_the_database_cache_of_their_shape():
    (web,) = json.loads((ROOT / "deploy" / "ecs" / "web.json").read_text())["containerDefinitions"]
    variables = {item["name"]: item.get("value") for item in web["environment"]}
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["x-app"]["environment"]

    assert variables["CACHE_URL"] == settings.DEPLOY_DEFAULTS["CACHE_URL"] == "db"
    assert compose["CACHE_URL"] == settings.DEPLOY_DEFAULTS["CACHE_URL"]
    # their broker is SQS, so the default would be the same: the files only say it out loud
    assert variables["CELERY_BROKER_URL"].startswith("sqs://")
    assert compose["CELERY_BROKER_URL"].startswith("sqs://")


@pytest.mark.parametrize(("kind", "warned"), [("locmem", True), ("redis", False), ("database", False)])
def test_the_deploy_check_warns_of_a_cache_each_process_keeps_alone(settings, kind, warned):
    settings.CACHE_KIND = kind

    warnings = [message.id for message in run_checks(include_deployment_checks=True, tags=["caches"])]

    assert ("api.W001" in warnings) is warned
