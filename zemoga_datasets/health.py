"""`/healthz` (the process answers) and `/readyz` (what it depends on answers), without login.

Load balancers and orchestrators call them often: each check is one cheap round trip with a
short timeout, and the checks run side by side so /readyz answers within the longest one.
"""

import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db import connection, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from catalog.mongo import mongo_ping
from uploads.services import storage_ping
from zemoga_datasets.broker import broker_ping, broker_transport

CHECK_TIMEOUT_SECONDS = 2.0


def _database() -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()  # this thread's own connection


def _mongodb() -> None:
    mongo_ping(timeout_seconds=CHECK_TIMEOUT_SECONDS)


def _broker() -> None:
    broker_ping(timeout_seconds=CHECK_TIMEOUT_SECONDS)


def _storage() -> None:
    storage_ping()


def _cache() -> None:
    """One read of the shared cache (the API's throttles): Redis's GET, or a SELECT on the cache's
    table (so a database not migrated fails here)."""
    try:
        cache.get("readyz")
    finally:
        connections.close_all()  # this thread's own connection, if the cache is the database


CHECKS = {"database": _database, "mongodb": _mongodb, "broker": _broker, "storage": _storage, "cache": _cache}


def _services() -> dict[str, str]:
    """What each check talks to in this deployment, named in the report."""
    storage = settings.STORAGES["default"]["BACKEND"]
    return {
        "database": connection.vendor,  # "postgresql" or "sqlite"
        "mongodb": "mongodb",
        "broker": broker_transport(),  # "sqs" or "redis"
        "storage": "s3" if storage.endswith("S3Storage") else "filesystem",
        "cache": settings.CACHE_KIND,  # "redis", "database" or "locmem"
    }


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
    for name, service in _services().items():
        results[name] = {"service": service, **results[name]}
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
