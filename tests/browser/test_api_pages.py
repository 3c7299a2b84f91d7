"""The API's pages in Chromium: the documentation page (Swagger UI from this site, under the
Content-Security-Policy) lists the operations and calls one with the session; the token page
shows a new token once."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_docs_page_lists_the_operations_and_tries_one(page, page_events):
    log_in(page)
    page.goto("/api/v1/docs")
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/datasets").first
    expect(operation).to_be_visible()
    operation.click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(page.locator(".live-responses-table tr.response .response-col_status").first).to_have_text("200")
    assert page_events.errors == []


def test_the_token_page_shows_a_new_token_once(page):
    log_in(page)
    page.get_by_role("link", name="API").click()
    page.get_by_label("Name").fill("nightly export")
    page.get_by_role("button", name="Create a token").click()
    secret = page.locator("#new-token").inner_text()
    assert secret.startswith("zds_")
    page.goto("/api/tokens/")  # (not a reload, which would send the form again)
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_role("cell", name="nightly export")).to_be_visible()
