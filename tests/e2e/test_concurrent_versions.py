"""Three new versions of one dataset posted at the same moment to a real gunicorn (three worker
processes on the test database): one is taken, the two others get the clear "still being
processed" answer (not a 503 from a locked database), and no upload is left on storage without
a version that references it."""

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import httpx
import pytest
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage

from tests.conftest import OUTPUT_DIR, ROOT, _free_port, _stop, _wait_for_port, storage_environment, worker_database_url
from tests.e2e import test_faults
from tests.factories import upload_files
from uploads.models import STORAGE_ROOT, DatasetVersion
from uploads.orphans import FILE_FIELDS, storage_files
from uploads.services import dataset_create

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

larger_sample = test_faults.larger_sample
TRIALS = 5
REQUESTS = 3


@pytest.fixture
def web_server():
    """gunicorn as in the Procfile (sync workers), one per request at once."""
    port = _free_port()
    env = {**os.environ, **storage_environment("local", None)}
    env["DJANGO_SETTINGS_MODULE"] = "zemoga_datasets.settings.test"
    env["TEST_DATABASE_URL"] = worker_database_url()  # the test database, SQLite or PostgreSQL
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    log = (OUTPUT_DIR / f"gunicorn-{uuid.uuid4().hex[:6]}.log").open("wb")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    arguments = [gunicorn, "zemoga_datasets.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(REQUESTS)]
    process = subprocess.Popen(arguments, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, "gunicorn", timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)
        log.close()


def _stored(dataset_id) -> set[str]:
    """Every file stored under the dataset's folder."""
    return set(storage_files(default_storage, f"{STORAGE_ROOT}/{dataset_id}"))


def _referenced(dataset_id) -> set[str]:
    rows = DatasetVersion.objects.filter(dataset_id=dataset_id).values_list(*FILE_FIELDS)
    return {name for row in rows for name in row if name}


def _post_at_once(base: str, session: str, dataset_id, columns: bytes) -> list[httpx.Response]:
    clients = [httpx.Client(base_url=base, cookies={"sessionid": session}, timeout=120) for _ in range(REQUESTS)]
    forms = []
    for client in clients:  # each its CSRF cookie and token, as a browser tab would
        page = client.get(f"/datasets/{dataset_id}/")
        assert page.status_code == 200, page.text[:300]
        token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
        forms.append({"csrfmiddlewaretoken": token})
    barrier, responses = threading.Barrier(REQUESTS), [None] * REQUESTS

    def post(index: int) -> None:
        files = {"columns_file": (f"columns-{index}.csv", columns, "text/csv")}
        barrier.wait()
        responses[index] = clients[index].post(f"/datasets/{dataset_id}/versions/", data=forms[index], files=files)

    threads = [threading.Thread(target=post, args=(index,)) for index in range(REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    return responses


def test_three_new_versions_at_once_one_is_taken_two_are_refused_clearly_and_no_file_is_left(
    larger_sample, web_server, client
):
    user = get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")
    client.force_login(user)
    session = client.cookies["sessionid"].value
    outcomes = []
    for trial in range(TRIALS):
        # given a dataset whose version 1 is done
        v1 = dataset_create(name=f"Race {trial}", owner=user, files=upload_files(larger_sample), enqueue=False)
        DatasetVersion.objects.filter(pk=v1.pk).update(status="done")

        # when three new versions are posted at the same moment
        responses = _post_at_once(web_server, session, v1.dataset_id, larger_sample["columns"])

        # then one is taken, and the two others are told why, and nothing is left on storage
        statuses = sorted(response.status_code for response in responses)
        refused = [response for response in responses if response.status_code == 400]
        assert statuses == [302, 400, 400], [(r.status_code, r.text[:300]) for r in responses]
        assert all("still being processed" in response.text for response in refused)
        versions = DatasetVersion.objects.filter(dataset_id=v1.dataset_id)
        assert sorted(versions.values_list("number", flat=True)) == [1, 2]
        orphans = _stored(v1.dataset_id) - _referenced(v1.dataset_id)
        assert orphans == set()
        outcomes.append(statuses)
    print(f"\nfigures: {TRIALS} trials of {REQUESTS} posts: {outcomes}; orphan files: 0")
