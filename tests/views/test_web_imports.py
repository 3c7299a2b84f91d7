"""The web process answers every page without pandas or the engine (docs/production.md, "A web tier
without pandas"): a fresh Python process serves `zemoga_datasets.wsgi.application` over HTTP, every
page of a processed dataset is requested from it (as a logged-in user, and the API with a token),
and then the process says which modules it loaded.

The dataset is processed here, in the test process (which has the engine); the web process shares
its test database, FerretDB database and media folder. The pages are tests/views/test_access.py's
READS, so a new page is requested here as soon as it is listed there.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from api.tokens import token_create
from catalog.mongo import version_documents_drop
from tests.conftest import _free_port, _stop, _wait_for_port, sample_read
from tests.factories import UserFactory, processed_dataset, processed_version
from tests.views.test_access import READS, REDIRECTS, _url

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

# What the web process must never load: pandas, the engine, and the worker's build side.
NEVER_LOADED = (
    "pandas",
    "engine",
    "groundtruth",
    "rapidfuzz",
    "catalog.read_model",
    "catalog.search_index",
    "catalog.persistence",
    "reports.diff",
    "reports.services",
    "uploads.processing",
)

SERVER = textwrap.dedent(
    """
    import json, os, sys, threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    os.environ["DJANGO_SETTINGS_MODULE"] = "zemoga_datasets.settings.test"
    from django.conf import settings

    # The test run's database (the test process made it), served over plain HTTP on loopback.
    settings.DATABASES["default"]["NAME"] = os.environ["WEB_TEST_DATABASE_NAME"]
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    settings.SECURE_SSL_REDIRECT = False

    from zemoga_datasets.wsgi import application


    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass


    server = make_server("127.0.0.1", int(os.environ["WEB_TEST_PORT"]), application, handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.readline()  # the test is done requesting
    print(json.dumps(sorted(sys.modules)), flush=True)
    """
)


@pytest.fixture
def web_process():
    """A web process of its own (stdin: anything ends it and prints its modules), and its address."""
    port = _free_port()
    environment = {**os.environ, "WEB_TEST_DATABASE_NAME": str(connection.settings_dict["NAME"])}
    environment["WEB_TEST_PORT"] = str(port)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=Path(settings.BASE_DIR),
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(port, process, "the web process", timeout=60)
        yield process, f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


@pytest.fixture
def sample_with_two_versions():
    owner = UserFactory(username="alice")
    files = sample_read()
    dataset = processed_dataset(files, name="Alice's sample", owner=owner)
    columns = files["columns"].rstrip(b"\n").rsplit(b"\n", 1)[0] + b"\n"
    processed_version(dataset, {"columns": columns}, created_by=owner)
    yield owner, dataset
    for version in dataset.versions.all():
        version_documents_drop(version=version.records_key)


def _api_paths(dataset) -> list[str]:
    version = dataset.versions.get(number=2).pk
    return [
        "/api/v1/datasets",
        f"/api/v1/datasets/{dataset.pk}",
        f"/api/v1/datasets/{dataset.pk}/versions",
        f"/api/v1/datasets/{dataset.pk}/browse?namespace=N1",
        f"/api/v1/datasets/{dataset.pk}/records/columns/C7",
        f"/api/v1/datasets/{dataset.pk}/search?q=carbon",
        f"/api/v1/datasets/{dataset.pk}/export?namespace=N1",
        f"/api/v1/versions/{version}",
        f"/api/v1/versions/{version}/anomalies",
        f"/api/v1/versions/{version}/summary",
        f"/api/v1/versions/{version}/changes",
        f"/api/v1/versions/{version}/anomaly-groups",
        f"/api/v1/versions/{version}/rejected/columns",
        f"/api/v1/datasets/{dataset.pk}/acceptances",
        "/api/v1/webhooks",
    ]


def test_every_page_is_answered_without_pandas_or_the_engine(web_process, sample_with_two_versions):
    process, address = web_process
    owner, dataset = sample_with_two_versions
    browser = Client()
    browser.force_login(owner)
    cookies = {settings.SESSION_COOKIE_NAME: browser.cookies[settings.SESSION_COOKIE_NAME].value}
    token = token_create(user=owner, name="web imports").secret
    pages = [_url(name, dataset.pk) for name in sorted(READS)]
    pages += ["/help/anomalies/", "/api/tokens/", "/api/webhooks/"]

    answers = {}
    with httpx.Client(base_url=address, cookies=cookies, timeout=60, follow_redirects=False) as http:
        for path in pages:
            answers[path] = http.get(path).status_code
        for path in _api_paths(dataset):
            answers[path] = http.get(path, headers={"Authorization": f"Bearer {token}"}).status_code
    process.stdin.write("done\n")
    process.stdin.flush()
    loaded = set(json.loads(process.stdout.readline()))

    expected = dict.fromkeys(answers, 200)
    expected.update({_url(name, dataset.pk): 302 for name in REDIRECTS})
    assert answers == expected
    assert "django" in loaded  # the modules are the web process's own
    assert not {name for name in loaded for never in NEVER_LOADED if name == never or name.startswith(never + ".")}
