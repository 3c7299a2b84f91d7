"""The API's throttles hold across web processes: two OS processes serving the API with one token
share one count in the shared cache (Redis, or the database), so the token gets its limit once
overall, not once per process; the database cache's increment is atomic; the API answers a JSON
503 when the cache's Redis is down."""

import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from api.tokens import token_create
from tests.conftest import OUTPUT_DIR, ROOT, _free_port, worker_database_url
from zemoga_datasets.cache import AtomicDatabaseCache
from zemoga_datasets.settings.base import cache_settings

LIMIT = 10
PROCESSES = 2
# The database always; Redis where the test services have one (not in the cluster shape).
BACKENDS = ["db"] + (["redis"] if settings.BROKER_TRANSPORT == "redis" else [])


def _cache_url(backend: str) -> str:
    # Redis: the settings' own default, the broker's Redis, database 1
    return "db" if backend == "db" else urlsplit(settings.CELERY_BROKER_URL)._replace(path="/1").geturl()


def _start_web_process(*, token: str, cache_url: str, key_prefix: str, log) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.test",
        "TEST_DATABASE_URL": worker_database_url(),  # this test's database, SQLite or PostgreSQL
        "CACHE_URL": cache_url,
        "API_REQUESTS_PER_MINUTE": str(LIMIT),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "api" / "throttle_hits.py"), token, str(LIMIT), key_prefix],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )


def _clear_of_a_minute_boundary() -> None:
    """The counters are per minute: start early in a minute, so all the requests fall in one
    (a guard on the counting window, not an assertion on time)."""
    remaining = 60 - time.time() % 60
    if remaining < 20:
        time.sleep(remaining + 0.5)


@pytest.mark.django_db(transaction=True)  # the token committed, for the other processes to read
@pytest.mark.parametrize("backend", BACKENDS)
def test_one_token_gets_its_limit_once_across_two_web_processes(steward, backend):
    # given a token and two separate web processes on one shared cache, each about to send the limit
    token = token_create(user=steward, name="two processes").secret
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    log_path = OUTPUT_DIR / f"throttle-{backend}-{uuid.uuid4().hex[:6]}.log"
    key_prefix = f"test-throttle-{uuid.uuid4().hex[:8]}"
    with log_path.open("w") as log:
        processes = [
            _start_web_process(token=token, cache_url=_cache_url(backend), key_prefix=key_prefix, log=log)
            for _ in range(PROCESSES)
        ]
        try:
            for process in processes:
                assert process.stdout.readline().strip() == "ready", log_path.read_text()[-3000:]
            _clear_of_a_minute_boundary()

            # when both send their requests at once
            for process in processes:
                process.stdin.write("go\n")
                process.stdin.flush()
            answers = [json.loads(process.communicate(timeout=120)[0]) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()

    # then the token got its limit once overall (counted per process, it would have got it twice)
    statuses = [status for answer in answers for status in answer]
    assert [len(answer) for answer in answers] == [LIMIT] * PROCESSES
    assert set(statuses) <= {200, 429}, statuses
    assert statuses.count(200) == LIMIT, answers
    assert statuses.count(429) == LIMIT * (PROCESSES - 1)


@pytest.mark.django_db
def test_the_database_cache_counts_and_forgets_an_expired_counter():
    cache = AtomicDatabaseCache(settings.CACHE_TABLE, {})  # the table `migrate` made
    key = f"counter-{uuid.uuid4().hex}"

    assert cache.add(key, 0, timeout=60)
    assert not cache.add(key, 5, timeout=60)  # a second add leaves the count alone
    assert [cache.incr(key) for _ in range(3)] == [1, 2, 3]
    assert cache.incr(key, 10) == 13
    assert cache.get(key) == 13

    cache.set(key, 7, timeout=-1)  # expired
    with pytest.raises(ValueError, match="not found"):
        cache.incr(key)
    with pytest.raises(ValueError, match="not found"):
        cache.incr(f"missing-{uuid.uuid4().hex}")


@pytest.mark.django_db
def test_the_api_answers_503_in_json_when_the_shared_cache_is_unreachable(steward, settings):
    token = token_create(user=steward, name="outage").secret
    _, unreachable = cache_settings(f"redis://127.0.0.1:{_free_port()}/1", connect_timeout=1)
    settings.CACHES = {**settings.CACHES, "default": unreachable}

    response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/datasets")

    assert response.status_code == 503
    assert response.json() == {"detail": "Redis is unavailable; try again shortly.", "code": "unavailable"}
    assert response["Retry-After"] == "30"
