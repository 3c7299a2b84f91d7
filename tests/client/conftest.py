"""The client's tests run the `zemoga-datasets` command against a live server and a real worker."""

import pytest
from django.contrib.auth import get_user_model

from api.tokens import token_create
from tests.conftest import SAMPLE_DIR, storage_environment


@pytest.fixture
def token() -> str:
    steward = get_user_model().objects.create_user(username="steward")
    return token_create(user=steward, name="client tests").secret


@pytest.fixture
def site(live_server, token, start_worker, monkeypatch) -> dict[str, str]:
    """ZEMOGA_URL and ZEMOGA_TOKEN of a live server with a worker behind it."""
    start_worker(storage_environment("local", None))
    environment = {"ZEMOGA_URL": live_server.url, "ZEMOGA_TOKEN": token}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return environment


@pytest.fixture
def sample_paths() -> dict[str, str]:
    return {file: str(SAMPLE_DIR / f"{file}.csv") for file in ("namespaces", "datapoints", "columns")}


@pytest.fixture
def clean_paths(tmp_path) -> dict[str, str]:
    """The sample's first record of each file: no anomaly at all."""
    paths = {}
    for file in ("namespaces", "datapoints", "columns"):
        path = tmp_path / f"{file}.csv"
        path.write_bytes(b"".join((SAMPLE_DIR / f"{file}.csv").read_bytes().splitlines(keepends=True)[:2]))
        paths[file] = str(path)
    return paths
