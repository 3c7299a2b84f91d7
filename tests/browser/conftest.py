"""Fixtures for the browser tests: Debian's Chromium driven by Playwright, and one worker per module.

Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM calls
from such a thread unless told otherwise; the tests call the ORM only between browser steps.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import WorkerProcess, storage_environment

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"  # Playwright's own browser download does not work here.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser() -> Browser:
    assert Path(CHROMIUM).exists(), "Debian's chromium is required for the browser tests (`make test` installs it)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, mongo):
    """One real Celery worker for the whole module, on local storage (the test environment's default).

    It needs the test database's file name, which exists once `django_db_setup` has run. Each test
    flushes the tables, but the worker loads datasets by id, so sharing it between tests is safe.
    """
    process = WorkerProcess(storage_environment("local", None))
    yield process
    process.stop()


@dataclass
class PageEvents:
    """What a page did that a test should notice: dialogs (each one dismissed), script errors and
    Content-Security-Policy violations (every test fails on one, see `page`)."""

    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)


# Runs before the page's own scripts and outside its policy: reports every violation to the test.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolation(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} on ${event.documentURI}`);
});
"""


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser, live_server, page_events) -> Page:
    """A fresh browser context (no cookies) at laptop width, with relative URLs on the live server."""
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP, accept_downloads=True)
    context.set_default_timeout(15_000)
    # a lambda, not the bound `append`: Playwright tags the callable it is given, and a builtin
    # method takes no attribute
    context.expose_function("__cspViolation", lambda text: page_events.csp_violations.append(text))  # noqa: PLW0108
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()

    def on_dialog(dialog) -> None:
        page_events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            page_events.csp_violations.append(message.text)

    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: page_events.errors.append(str(error)))
    page.on("console", on_console)
    yield page
    context.close()
    # Every page every test opened passed the policy: no inline script or style, nothing foreign.
    assert page_events.csp_violations == [], page_events.csp_violations


@pytest.fixture
def screenshot(page, output_dir):
    """Saves a full-page PNG of the current page under `<output_dir>/screenshots/`, at laptop or phone width."""
    folder = output_dir / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(name: str, *, phone: bool = False) -> Path:
        path = folder / f"{name}-{(PHONE if phone else LAPTOP)['width']}.png"
        if phone:
            page.set_viewport_size(PHONE)
        try:
            page.screenshot(path=str(path), full_page=True)
            if phone:
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["width"], f"{name} is {width}px wide on a {PHONE['width']}px phone screen"
        finally:
            if phone:
                page.set_viewport_size(LAPTOP)
        return path

    return take


@pytest.fixture
def sample_dataset(page, worker) -> str:
    """The spec's sample, uploaded through the form by a logged-in steward and processed by the worker."""
    from tests.browser.steps import log_in, sample_files, upload, wait_finished

    log_in(page)
    dataset_id = upload(page, "Sample", sample_files())
    assert wait_finished(page) == "done"
    return dataset_id
