"""One web process for tests/api/test_shared_cache.py, run as its own OS process: Django set up
from the environment (settings, test database, CACHE_URL), then, on the line `go` on stdin, COUNT
requests to the API with one token through the whole middleware stack; prints their status codes.

    python tests/api/throttle_hits.py TOKEN COUNT KEY_PREFIX
"""

import json
import sys

import django


def main() -> None:
    token, count, key_prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings

    # The test's own keys in the shared cache, as its other process uses.
    caches = {**settings.CACHES, "default": {**settings.CACHES["default"], "KEY_PREFIX": key_prefix}}
    with override_settings(CACHES=caches):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
        print("ready", flush=True)
        if sys.stdin.readline().strip() != "go":
            return
        statuses = [client.get("/api/v1/datasets").status_code for _ in range(count)]
    print(json.dumps(statuses), flush=True)


if __name__ == "__main__":
    main()
