"""Steps the browser tests share: log in, upload through the forms, wait for the worker, navigate."""

import csv
import re

from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.conftest import SAMPLE_DIR

PASSWORD = "correct-horse-battery-staple"
PROCESSING_TIMEOUT = 60_000
DATASET_URL = re.compile(r"/datasets/[0-9a-f-]{36}/$")


def sample_files() -> dict[str, bytes]:
    return {name: (SAMPLE_DIR / f"{name}.csv").read_bytes() for name in ("namespaces", "datapoints", "columns")}


def expected_sample() -> set[tuple[str, str, str, str]]:
    with (SAMPLE_DIR / "expected_anomalies.csv").open() as handle:
        return {(row["file"], row["line"], row["field"], row["code"]) for row in csv.DictReader(handle)}


def log_in(page: Page, username: str = "steward") -> None:
    get_user_model().objects.create_user(username=username, password=PASSWORD)
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("/")


def upload(page: Page, name: str, files: dict[str, bytes]) -> str:
    """Fills the upload form on the list page and returns the new dataset's id."""
    page.goto("/")
    page.get_by_label("Name", exact=True).fill(name)
    labels = {"namespaces": "Namespaces CSV", "datapoints": "Data points CSV", "columns": "Columns CSV"}
    for file, content in files.items():
        page.get_by_label(labels[file]).set_input_files(
            {"name": f"{file}.csv", "mimeType": "text/csv", "buffer": content}
        )
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url(DATASET_URL)
    return page.url.rstrip("/").split("/")[-1]


def wait_finished(page: Page) -> str:
    """Waits for the page to reload itself into a finished state; `data-status` is rendered by the server only."""
    progress = page.locator("#progress")
    expect(progress).to_have_attribute("data-status", re.compile("^(done|failed)$"), timeout=PROCESSING_TIMEOUT)
    page.wait_for_load_state()
    return progress.get_attribute("data-status")


def breadcrumbs(page: Page) -> str:
    return " ".join(page.get_by_role("navigation", name="Breadcrumbs").inner_text().split())


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Dataset").get_by_role("link", name=name, exact=True).click()
    page.wait_for_load_state()


def click_in_table(page: Page, name: str, url_part: str) -> None:
    page.locator("main table").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(re.escape(url_part)))


def upload_version(page: Page, files: dict[str, bytes]) -> None:
    """Fills "Upload a new version" on the dataset page (the files given; the others carried over)."""
    labels = {"namespaces": "New namespaces CSV", "datapoints": "New data points CSV", "columns": "New columns CSV"}
    for file, content in files.items():
        page.get_by_label(labels[file]).set_input_files(
            {"name": f"{file}.csv", "mimeType": "text/csv", "buffer": content}
        )
    page.get_by_role("button", name="Upload the new version").click()
    page.wait_for_url(DATASET_URL)
