"""From an anomaly to its fix, in Chromium: the source line with its cell marked, the record, the
did-you-mean and swapped-files messages, a template download, and the anomaly cards on a phone."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import log_in, open_tab, sample_files, upload, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]


def _anomaly_row(page: Page, code: str, file: str = ""):
    rows = page.locator("table.anomalies tbody tr").filter(has=page.locator("td[data-label=Code]", has_text=code))
    return rows.filter(has=page.locator("td[data-label=File]", has_text=file)) if file else rows


def test_from_an_anomaly_to_its_marked_line_and_to_its_record(page, page_events, sample_dataset, screenshot):
    open_tab(page, "Anomalies")

    # when the steward opens the source line of the whitespace anomaly
    row = _anomaly_row(page, "whitespace")
    expect(row.locator("td.value")).to_have_text("·tr_3y·")  # the surrounding spaces are visible
    row.get_by_role("link", name="source line").click()
    page.wait_for_url(re.compile(r"/files/columns/lines/\?line=8"))

    # then line 8 is shown among its neighbours, its column-name cell marked with its spaces
    expect(page.get_by_role("heading", level=1)).to_have_text("columns.csv, line 8 of version 1")
    marked = page.locator("tr.in-record mark")
    expect(marked).to_have_count(1)
    expect(marked).to_have_text("·tr_3y·")
    expect(page.locator("table.source tbody tr")).to_have_count(7)
    screenshot("source-line")

    # when the steward goes back and opens the record, then the column's browse page lists the row
    page.go_back()
    _anomaly_row(page, "whitespace").get_by_role("link", name="record").click()
    page.wait_for_url(re.compile(r"/browse/\?namespace=N1&database=fund_master&table=returns&column=tr_3y"))
    expect(page.locator("main table")).to_contain_text("C7")

    # and "same values as line 3" leads to line 3 of namespaces
    page.go_back()
    _anomaly_row(page, "duplicate-row", "namespaces").get_by_role("link", name="line 3").click()
    page.wait_for_url(re.compile(r"/files/namespaces/lines/\?line=3"))
    expect(page.locator("#line-3")).to_contain_text("N2,Portfolio")

    # and a code badge opens its entry in the help page
    page.go_back()
    _anomaly_row(page, "extra-cell").get_by_role("link", name="extra-cell").click()
    page.wait_for_url(re.compile(r"/help/anomalies/#extra-cell$"))
    expect(page.locator("#extra-cell")).to_contain_text("How to fix")
    assert page_events.errors == []


def test_a_misspelt_header_and_a_misspelt_word_say_what_was_meant(page, page_events, worker, screenshot):
    log_in(page)
    files = sample_files()
    files["namespaces"] = files["namespaces"].replace(b"namespace_id,", b"namespace_idd,", 1)
    files["datapoints"] = files["datapoints"].replace(b",Decimal,", b",strnig,")

    upload(page, "Typos", files)

    assert wait_finished(page) == "failed"
    open_tab(page, "Anomalies")
    main = page.locator("main")
    expect(main).to_contain_text('required field "namespace_id" has no column; did you mean "namespace_idd"')
    expect(main).to_contain_text('Did you mean "namespace_id"?')
    expect(main).to_contain_text('did you mean "string"?')
    screenshot("did-you-mean")
    assert page_events.errors == []


def test_swapped_files_are_named_as_swapped(page, page_events, worker):
    log_in(page)
    files = sample_files()
    files["namespaces"], files["datapoints"] = files["datapoints"], files["namespaces"]

    upload(page, "Swapped", files)

    assert wait_finished(page) == "failed"
    error = page.locator("#error-text")
    expect(error).to_contain_text("the header looks like the datapoints file: were the files swapped?")
    expect(error).to_contain_text("the header looks like the namespaces file: were the files swapped?")
    assert page_events.errors == []


def test_the_form_says_what_each_file_holds_and_offers_templates(page, page_events, worker, screenshot):
    log_in(page)

    expect(page.get_by_label("Columns CSV")).to_have_attribute("accept", re.compile(r"^\.csv,\.txt,\.tsv,text/csv"))
    guide = page.locator("details.guide", has_text="columns.csv")
    guide.locator("summary").click()
    expect(guide).to_contain_text("dataset_database_name")
    expect(page.locator("main")).to_contain_text("MiB per file")
    with page.expect_download() as download_info:
        guide.get_by_role("link", name="template").click()
    download = download_info.value
    assert download.suggested_filename == "columns.csv"
    header = Path(download.path()).read_text(encoding="utf-8").strip()
    assert header.startswith("column_id,namespace_id,dataset_database_name")
    screenshot("upload-guide", phone=True)

    # and the help page explains every code, readable on a phone too
    page.get_by_role("link", name="Anomaly codes explained").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anomaly codes")
    expect(page.locator("#near-duplicate")).to_contain_text("How to fix")
    screenshot("help-anomalies", phone=True)
    assert page_events.errors == []


def test_anomalies_are_cards_on_a_phone_with_code_severity_value_and_message_visible(
    page, page_events, sample_dataset, screenshot
):
    open_tab(page, "Anomalies")
    page.set_viewport_size({"width": 390, "height": 844})

    row = _anomaly_row(page, "invalid-value")
    for label in ("Code", "Severity", "Value", "Message"):
        cell = row.locator(f"td[data-label={label}]")
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box["x"] >= 0, (label, box)
        assert box["x"] + box["width"] <= 390, (label, box)
    expect(row.locator("td[data-label=Value]")).to_have_text("maybe")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot("anomaly-cards", phone=True)
    assert page_events.errors == []
