"""`/healthz` (the process answers) and `/readyz` (what it depends on answers), without login.

Load balancers and orchestrators call them often: each check is one cheap round trip with a
short timeout, and the checks run side by side so /readyz answers within the longest one.
"""

import time
from concurrent.futures import ThreadPoolExecutor

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog.mongo import mongo_ping
from uploads.services import storage_ping

CHECK_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread's own connection


def _mongodb() -> None:
    mongo_ping(timeout_seconds=CHECK_TIMEOUT_SECONDS)


def _redis() -> None:
    client = redis.Redis.from_url(
        settings.CELERY_BROKER_URL,
        socket_connect_timeout=CHECK_TIMEOUT_SECONDS,
        socket_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    finally:
        client.close()


def _storage() -> None:
    storage_ping()


CHECKS = {"database": _database, "mongodb": _mongodb, "redis": _redis, "storage": _storage}


def _run(check) -> dict:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:  # a failed check is the answer, not an error of this page
        outcome = {"ok": False, "error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"}
    else:
        outcome = {"ok": True}
    return {**outcome, "ms": round(1000 * (time.perf_counter() - started))}


def readiness_report() -> dict:
    with ThreadPoolExecutor(max_workers=len(CHECKS)) as pool:
        results = dict(zip(CHECKS, pool.map(_run, CHECKS.values()), strict=True))
    return {"ready": all(result["ok"] for result in results.values()), "checks": results}


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


@login_not_required
@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    report = readiness_report()
    return JsonResponse(report, status=200 if report["ready"] else 503)
