"""Search as a steward types it, and progress that tells the truth, in a real browser."""

import re
import signal

import pytest
from playwright.sync_api import expect

from tests.browser.steps import PROCESSING_TIMEOUT, log_in, sample_files, upload, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

COLUMNS_HEADER = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id,"
    "dataset_owner_name\n"
)


def _search_files() -> dict[str, bytes]:
    rows = [f"C{i:02d},N1,risk_warehouse,positions,c{i:02d},DP2,Zürich Team" for i in range(60)]
    rows.append("CX_123,N2,rixk_warehouse,positions,weight,DP1,Independent Desk")
    return {
        "namespaces": "namespace_id,namespace_option_name\nN1,Zürich Asset Management\nN2,Research\n".encode(),
        "datapoints": (
            "data_point_id,data_point_name,data_type\nDP1,Independent Director Ratio,decimal\n"
            "DP2,Exposure Zürich,decimal\n"
        ).encode(),
        "columns": (COLUMNS_HEADER + "\n".join(rows) + "\n").encode(),
    }


def _search(page, query: str) -> None:
    page.get_by_label("Words to find").fill(query)
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()


def test_search_folds_accents_matches_prefixes_and_exact_values_with_true_totals(page, page_events, worker, screenshot):
    log_in(page)
    dataset_id = upload(page, "Search cases", _search_files())
    assert wait_finished(page) == "done"
    page.goto(f"/datasets/{dataset_id}/search/")
    datapoints, columns = page.locator("#datapoints-total"), page.locator("#columns-total")

    # a prefix finds the whole word
    _search(page, "indep")
    expect(datapoints).to_have_text("(1)")
    expect(page.get_by_role("link", name="DP1", exact=True)).to_be_visible()
    expect(columns).to_have_text("(1)")  # the owner "Independent Desk"

    # accents and case are folded, and the total is every match, paged
    _search(page, "ZURICH")
    expect(datapoints).to_have_text("(1)")
    expect(columns).to_have_text("(60)")
    column_rows = page.get_by_role("region", name="Column rows found").locator("tbody tr")
    expect(column_rows).to_have_count(25)
    pages = page.get_by_role("navigation", name="Pages of column rows")
    expect(pages).to_contain_text("Page 1 of 3")
    screenshot("search-paged")
    screenshot("search-paged", phone=True)
    pages.get_by_role("link", name="Next ›").click()
    page.wait_for_url(re.compile(r"cpage=2"))
    expect(page.get_by_role("navigation", name="Pages of column rows")).to_contain_text("Page 2 of 3")
    expect(column_rows.first).to_contain_text("c25")

    # an exact value with punctuation finds its column, and only it
    _search(page, "rixk_warehouse")
    expect(columns).to_have_text("(1)")
    expect(column_rows).to_have_count(1)
    expect(column_rows.first).to_contain_text("rixk_warehouse")

    # column ids are searchable
    _search(page, "cx_123")
    expect(columns).to_have_text("(1)")
    expect(page.get_by_role("link", name="weight", exact=True)).to_be_visible()
    assert page_events.errors == []


def test_progress_shows_the_queue_and_the_list_refreshes_itself(page, page_events, worker, screenshot):
    log_in(page)
    worker.process.send_signal(signal.SIGSTOP)
    try:
        upload(page, "First", sample_files())
        upload(page, "Second", sample_files())
        # the second waits behind the first, and says so in words
        expect(page.locator("#detail-text")).to_have_text("Waiting in the queue: 1 upload ahead.")
        expect(page.get_by_role("progressbar")).to_be_visible()
        page.goto("/")
        second = page.locator("main table tbody tr", has=page.get_by_role("link", name="Second", exact=True))
        expect(second).to_contain_text("Waiting in the queue: 1 upload ahead")
        screenshot("list-queued")
    finally:
        worker.process.send_signal(signal.SIGCONT)

    # the list follows both datasets by itself until they are done
    first = page.locator("main table tbody tr", has=page.get_by_role("link", name="First", exact=True))
    expect(second).to_contain_text("Done", timeout=PROCESSING_TIMEOUT)
    expect(first).to_contain_text("Done")
    expect(second).to_contain_text("3 / 5 / 7")
    assert page_events.errors == []
