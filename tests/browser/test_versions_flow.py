"""Versions in a real browser: a new version replaces one file, is published only once done, shows
what changed; a failed version leaves the current one in place and shows its own anomalies."""

import re
import signal

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import log_in, open_tab, sample_files, upload, upload_version, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

RETURNS_TABLE = "browse/?namespace=N1&database=fund_master&table=returns"


def _columns_v2() -> bytes:
    """The sample's columns with C1 renamed, C2 removed and C20 added."""
    lines = sample_files()["columns"].replace(b"tr_1y", b"tr_one_year").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith(b"C2,")]
    return b"".join(kept).rstrip(b"\r\n") + b"\nC20,N1,fund_master,returns,tr_10y,DP1,Equity Research\n"


def _returns_columns(page: Page, dataset_id: str) -> str:
    page.goto(f"/datasets/{dataset_id}/{RETURNS_TABLE}")
    return page.locator("main table").inner_text()


def test_a_new_version_is_shown_only_once_done_and_a_failed_one_never(page, page_events, worker, screenshot):
    # given version 1 of the sample, processed
    log_in(page)
    dataset_id = upload(page, "Catalog", sample_files())
    assert wait_finished(page) == "done"
    expect(page.locator("#shown-version")).to_contain_text("version 1")

    # when version 2 replaces only the columns file, while the worker is paused
    worker.process.send_signal(signal.SIGSTOP)
    try:
        upload_version(page, {"columns": _columns_v2()})
        expect(page.get_by_role("status")).to_contain_text("Version 2 was uploaded")
        expect(page.locator("#status-text")).to_have_text("Queued")
        row = page.locator('#versions-table tr[data-version="2"]')
        expect(row).to_contain_text("columns")
        expect(row).to_contain_text("namespaces (same)")

        # then every page keeps showing version 1
        expect(page.locator("#shown-version")).to_contain_text("version 1")
        columns = _returns_columns(page, dataset_id)
        assert "tr_1y" in columns
        assert "tr_one_year" not in columns
    finally:
        worker.process.send_signal(signal.SIGCONT)

    # and once it is done, version 2
    page.goto(f"/datasets/{dataset_id}/")
    assert wait_finished(page) == "done"
    expect(page.locator("#shown-version")).to_contain_text("version 2")
    columns = _returns_columns(page, dataset_id)
    assert "tr_one_year" in columns
    assert "tr_10y" in columns
    assert "tr_1y" not in columns

    # and "What changed" lists the renamed, removed and added column mappings
    page.goto(f"/datasets/{dataset_id}/")
    open_tab(page, "What changed")
    expect(page.get_by_role("heading", level=1)).to_have_text("What changed in version 2")
    mappings = page.locator("#diff-columns")
    rows = mappings.locator("tbody tr")
    expect(rows.first).to_be_visible()
    texts = [" ".join(text.split()) for text in rows.all_inner_texts()]
    assert any(text.startswith("added C20") for text in texts), texts
    assert any(text.startswith("removed C2 ") for text in texts), texts
    assert any(text.startswith("moved C1 ") and "tr_one_year" in text for text in texts), texts
    screenshot("what-changed")

    # when version 3 has a broken columns file
    page.goto(f"/datasets/{dataset_id}/")
    upload_version(page, {"columns": b"column_id,namespace_id\nC1,N1\n"})
    assert wait_finished(page) == "failed"

    # then version 2 stays current, and version 3 shows its own anomalies
    expect(page.locator("#shown-version")).to_contain_text("version 2")
    expect(page.locator("#error-text")).to_contain_text("dataset_database_name")
    assert "tr_one_year" in _returns_columns(page, dataset_id)
    page.goto(f"/datasets/{dataset_id}/")
    expect(page.locator("#versions-table tbody tr")).to_have_count(3)
    page.get_by_role("link", name="Anomalies of version 3").click()
    page.wait_for_url(re.compile(r"/versions/3/anomalies/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("of version 3")
    expect(page.locator("table.anomalies")).to_contain_text("header-missing-column")
    screenshot("failed-version-anomalies")
    assert page_events.errors == []
    assert page_events.dialogs == []
