"""A namespace's JSON export under concurrent readers, through a real gunicorn on loopback.

    .venv/bin/python bench/export_load.py --dataset <id> [--readers 50] [--requests 2] [--namespace NS]

MONGODB_URI, MONGODB_NAME and DATABASE_URL name the services holding the dataset (`make bench`
keeps one; bench/pipeline.py --keep makes one). gunicorn runs production settings (DEBUG off)
on a free port; `--readers` threads each download the export `--requests` times. Every request
has a timeout and the whole run a deadline, so the load stays bounded. Prints p50 / p95 / max.
"""

import argparse
import os
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _session_cookie() -> str:
    """A logged-in session for a bench user, written to the same database gunicorn reads."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.contrib.sessions.backends.db import SessionStore

    user, _ = get_user_model().objects.get_or_create(username="bench-export")
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def _largest_namespace(dataset: str) -> str:
    from catalog import selectors

    page, best = 1, None
    while True:
        result = selectors.namespaces_for_dataset(dataset_id=dataset, page=page)
        for item in result.items:
            if best is None or item["columns"] > best["columns"]:
                best = item
        if not result.has_next:
            return best["namespace_id"]
        page += 1


def _wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--namespace", help="default: the namespace with the most column rows")
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2, help="exports per reader")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per request")
    args = parser.parse_args()

    import django

    django.setup()
    from catalog import selectors

    namespace = args.namespace or _largest_namespace(args.dataset)
    rows = len(selectors.column_rows_for_selection(dataset_id=args.dataset, namespace_id=namespace))
    cookie = _session_cookie()
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zemoga_datasets.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "ERROR",
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "zemoga_datasets.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            str(max(1, args.readers // args.workers)),
            "--timeout",
            str(int(args.timeout)),
        ],
        cwd=ROOT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/datasets/{args.dataset}/export.json?namespace={namespace}"
    latencies: list[float] = []
    failures: list[str] = []
    sizes: set[int] = set()
    lock = threading.Lock()

    def reader() -> None:
        for _ in range(args.requests):
            request = urllib.request.Request(url, headers={"Cookie": cookie})
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=args.timeout) as response:
                    body = response.read()
                    status = response.status
            except Exception as exc:
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                    sizes.add(len(body))
                else:
                    failures.append(f"HTTP {status}")

    try:
        _wait_ready(port, server)
        single_started = time.perf_counter()
        urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie}), timeout=args.timeout).read()
        single = time.perf_counter() - single_started
        threads = [threading.Thread(target=reader) for _ in range(args.readers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.timeout * args.requests + 60)
        wall = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"export of namespace {namespace} ({rows:,} column rows), {sorted(sizes)} bytes")
    print(f"alone: {single * 1000:.0f} ms")
    if latencies:
        ordered = sorted(latencies)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(
            f"{args.readers} readers x {args.requests}: {len(latencies)} ok, {len(failures)} failed in {wall:.1f} s; "
            f"p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s"
        )
    for failure in sorted(set(failures))[:5]:
        print(f"  failure: {failure}")


if __name__ == "__main__":
    main()
