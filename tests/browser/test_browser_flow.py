"""The steward's path in a real browser: log in, upload, follow progress, download, browse, read anomalies.

One Celery worker serves the module (see `conftest.py`); each test logs in through the form and
uploads through the form. Screenshots of every main page land in `<output_dir>/screenshots/`.
"""

import json
import re
import signal
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.browser.steps import (
    PASSWORD,
    breadcrumbs,
    click_in_table,
    expected_sample,
    log_in,
    open_tab,
    sample_files,
    upload,
    wait_finished,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]


def test_log_in_through_the_form(page, page_events):
    # given a steward account, and a visitor who is not logged in
    get_user_model().objects.create_user(username="steward", password=PASSWORD)
    page.goto("/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/$"))

    # when a wrong password is typed, then the form says so
    page.get_by_label("User name").fill("steward")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    expect(page.get_by_label("User name")).to_have_value("steward")  # kept, only the password is typed again

    # when the right one is typed, then the steward lands on the dataset list
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("/")
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("steward")
    expect(page.get_by_role("heading", name="Upload a dataset")).to_be_visible()
    assert page_events.errors == []


def test_upload_follows_progress_to_done_and_downloads_both_reports(page, page_events, worker, screenshot):
    log_in(page)
    statuses: list[dict] = []
    page.on("response", lambda response: statuses.append(response.json()) if "/status.json" in response.url else None)

    # when the sample is uploaded through the form while the worker is paused (the sample takes
    # under a second, less than the page's first poll), then the page shows it queued and polls
    worker.process.send_signal(signal.SIGSTOP)
    try:
        dataset_id = upload(page, "Sample", sample_files())
        expect(page.get_by_role("heading", name="Sample", exact=True)).to_be_visible()
        expect(page.get_by_role("status")).to_contain_text("queued for processing")
        with page.expect_response(re.compile(r"/status\.json$")):
            pass
        expect(page.locator("#status-text")).to_have_text("Queued")
        expect(page.locator("#detail-text")).to_have_text("Waiting in the queue: next in line.")
        expect(page.get_by_role("progressbar")).to_have_attribute("value", "0")
    finally:
        worker.process.send_signal(signal.SIGCONT)

    # and once the worker runs, the page follows it until the bar is full and the status is done
    assert wait_finished(page) == "done"
    # (a finished dataset shows its outcome, not a bar)
    expect(page.locator("#status-text")).to_have_text("Done")
    expect(page.get_by_role("heading", name="Processed")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)
    expect(page.locator("#error-text")).to_be_hidden()
    seen = [(status["status"], status["percent"]) for status in statuses]
    assert seen[0] == ("queued", 0), seen
    assert seen[-1] == ("done", 100), seen
    assert [percent for _, percent in seen] == sorted(percent for _, percent in seen), f"the bar went backwards: {seen}"
    assert "persisting" not in " ".join(status["detail"] for status in statuses)  # people's words only
    rows = page.locator("#counts-table tbody tr")
    expect(rows).to_have_count(3)
    saved = {row.get_attribute("data-file"): row.locator("td").nth(6).inner_text() for row in rows.all()}
    assert saved == {"namespaces": "3", "datapoints": "5", "columns": "7"}
    expect(rows.first).to_contain_text("namespaces.csv")
    expect(rows.first).to_contain_text("comma")
    screenshot("dataset-done")
    screenshot("dataset-done", phone=True)

    # and both reports download through their links
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download anomalies.csv").click()
    download = download_info.value
    assert download.suggested_filename == "sample-anomalies.csv"
    assert Path(download.path()).read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0] == "file,line,field,code,severity,value,message,fix,status"
    assert len(text.splitlines()) == 11
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download summary.json").click()
    download = download_info.value
    assert download.suggested_filename == "sample-summary.json"
    summary = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert summary["dataset_id"] == dataset_id
    assert summary["status"] == "done"
    assert summary["anomalies_total"] == 10

    # and the list shows the processed dataset
    page.get_by_role("link", name="zemoga datasets").click()
    page.wait_for_url("/")
    row = page.locator("main table tbody tr", has=page.get_by_role("link", name="Sample", exact=True))
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("3 / 5 / 7")
    screenshot("list")
    screenshot("list", phone=True)
    assert page_events.errors == []
    assert page_events.dialogs == []


def test_browse_from_namespace_to_column_and_export_the_selection(page, page_events, sample_dataset, screenshot):
    # given the processed sample, when the steward browses level by level
    open_tab(page, "Browse")
    expect(page.get_by_role("heading", name="Namespaces", exact=True)).to_be_visible()
    table = page.locator("main table")
    expect(table).to_contain_text("N1")
    expect(table).not_to_contain_text("N4")  # rejected: blank name
    assert breadcrumbs(page) == "Datasets › Sample › Namespaces"
    screenshot("browse-namespaces")

    click_in_table(page, "N1", "namespace=N1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Fund Performance")
    assert breadcrumbs(page) == "Datasets › Sample › Namespaces › N1"
    expect(table).to_contain_text("fund_master")
    expect(table).not_to_contain_text("esg_store")
    screenshot("browse-databases")

    click_in_table(page, "fund_master", "database=fund_master")
    assert breadcrumbs(page) == "Datasets › Sample › Namespaces › N1 › fund_master"
    expect(table).to_contain_text("returns")
    expect(table).to_contain_text("prices")
    expect(table).not_to_contain_text("holdings")
    screenshot("browse-tables")

    click_in_table(page, "returns", "table=returns")
    assert breadcrumbs(page) == "Datasets › Sample › Namespaces › N1 › fund_master › returns"
    expect(table).to_contain_text("tr_1y")
    expect(table).to_contain_text("tr_3y")
    expect(table).not_to_contain_text("tr_5y")  # C8 names a data point that is not there
    screenshot("browse-columns")

    click_in_table(page, "tr_1y", "column=tr_1y")
    assert breadcrumbs(page) == "Datasets › Sample › Namespaces › N1 › fund_master › returns › tr_1y"
    expect(page.locator("nav.breadcrumbs [aria-current=page]")).to_have_text("tr_1y")
    expect(table.get_by_role("link", name="DP1", exact=True)).to_be_visible()
    screenshot("browse-datapoints")

    # and an earlier breadcrumb goes back up
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role("link", name="fund_master", exact=True).click()
    page.wait_for_url(re.compile(r"database=fund_master$"))
    expect(table).to_contain_text("prices")

    # when the selection is exported, then the file has the spec's structure
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export data points (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == "export_N1_fund_master.json"
    export = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert list(export) == ["Equity_Research_namespaces"]
    assert export["Equity_Research_namespaces"]["N1"]["namespace_option_name"] == "Fund Performance"
    assert page_events.errors == []


def test_a_data_point_page_lists_the_columns_that_use_it(page, page_events, sample_dataset, screenshot):
    page.goto(f"/datasets/{sample_dataset}/datapoint/?id=DP3")

    expect(page.get_by_role("heading", level=1)).to_contain_text("DP3")
    assert breadcrumbs(page) == "Datasets › Sample › Data point DP3"
    columns = page.locator("main table tbody")
    expect(columns.get_by_role("link", name="intensity", exact=True)).to_be_visible()
    expect(columns.get_by_role("link", name="intensity_wavg", exact=True)).to_be_visible()
    expect(columns).not_to_contain_text("scope3")  # C6 is in namespace N9, which does not exist
    screenshot("datapoint")

    # and a column links back to its browse page
    columns.get_by_role("link", name="intensity_wavg", exact=True).click()
    page.wait_for_url(re.compile(r"column=intensity_wavg$"))
    expect(page.locator("main table").get_by_role("link", name="DP3", exact=True)).to_be_visible()
    assert page_events.errors == []


def test_search_finds_data_points_and_columns_and_exports_the_data_points(
    page, page_events, sample_dataset, screenshot
):
    # given the processed sample, when the steward searches for two words
    open_tab(page, "Search")
    page.get_by_label("Words to find").fill("carbon intensity")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=carbon\+intensity"))

    # then the data point and both columns holding those words are listed, linked to their pages
    results = page.locator("main")
    expect(results.get_by_role("link", name="DP3", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="intensity", exact=True)).to_be_visible()
    expect(results.get_by_role("link", name="DP1", exact=True)).to_have_count(0)
    screenshot("search")

    # and the data points found can be exported in the spec's structure
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these data points (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == "export_search_carbon-intensity.json"
    export = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert list(export["Sustainability_Office_namespaces"]["N3"]["databases"][0]["esg_store"][0]) == ["DP3"]

    # and a column found opens its browse page
    results.get_by_role("link", name="intensity", exact=True).click()
    page.wait_for_url(re.compile(r"column=intensity$"))
    expect(page.locator("main table").get_by_role("link", name="DP3", exact=True)).to_be_visible()
    assert page_events.errors == []


def test_the_anomalies_page_lists_the_sample_and_filters_by_code(page, page_events, sample_dataset, screenshot):
    open_tab(page, "Anomalies")

    rows = page.locator("table.anomalies tbody tr")
    expect(rows).to_have_count(10)
    expect(page.locator("main")).to_contain_text("10 anomalies")
    cells = [row.locator("td").all_inner_texts() for row in rows.all()]
    assert {tuple(cell.strip() for cell in row[:4]) for row in cells} == expected_sample()
    screenshot("anomalies")

    # when filtered by one code, then only its rows remain, and the choice stays selected
    page.get_by_label("Code", exact=True).select_option("duplicate-row")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"code=duplicate-row"))
    expect(rows).to_have_count(2)
    assert {code.strip() for code in rows.locator("td:nth-child(4)").all_inner_texts()} == {"duplicate-row"}
    expect(page.get_by_label("Code", exact=True)).to_have_value("duplicate-row")
    expect(page.locator("main")).to_contain_text("2 anomalies")

    # and only codes that occur are offered, with their counts
    options = page.get_by_label("Code", exact=True).locator("option").all_inner_texts()
    assert "duplicate-row (2)" in options
    assert not any(o.startswith("header-missing-column") for o in options)
    # and a file holding none of the chosen code says so
    page.get_by_label("File", exact=True).select_option("datapoints")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.anomalies tbody")).to_contain_text("No anomaly matches.")
    assert page_events.errors == []


def test_the_count_per_code_shows_on_the_dataset_and_anomalies_pages(page, sample_dataset):
    counts = page.locator("ul.code-counts")
    expect(counts.get_by_role("link", name="duplicate-row", exact=True)).to_be_visible()
    expect(counts.locator("li", has_text="duplicate-row")).to_contain_text("2")
    open_tab(page, "Anomalies")
    expect(page.get_by_role("list", name="Anomalies per code")).to_be_visible()


def test_a_failed_dataset_looks_failed_and_shows_the_way_forward(page, page_events, worker, screenshot):
    log_in(page)
    files = sample_files()
    files["columns"] = b"column_id,namespace_id\nC1,N1\n"

    upload(page, "Broken", files)

    assert wait_finished(page) == "failed"
    expect(page.locator("#status-text")).to_have_text("Failed")
    expect(page.get_by_role("heading", name="Processing failed")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_count(0)  # no full bar, as for a success
    error = page.locator("#error-text")
    expect(error).to_be_visible()
    expect(error).to_contain_text("columns")
    expect(error).to_contain_text("dataset_database_name")
    # the files are at fault: no retry, but what to fix and where to upload again
    expect(page.get_by_role("button", name="Process again")).to_have_count(0)
    way_forward = page.locator("#way-forward")
    expect(way_forward).to_contain_text("processing them again would fail the same way")
    expect(way_forward.get_by_role("link", name="upload a new version")).to_be_visible()
    # the counts say what happened: columns not read, healthy data points not saved
    rows = page.locator("#counts-table tbody tr")
    expect(page.locator("#counts-table thead")).to_contain_text("Not saved (version failed)")
    expect(rows.filter(has_text="columns")).to_contain_text("not read (1 in the file)")
    datapoints = rows.filter(has=page.get_by_role("rowheader", name="datapoints"))
    expect(datapoints.locator("td").nth(6)).to_have_text("0")  # with errors
    expect(datapoints.locator("td").nth(7)).to_have_text("5")  # healthy, not saved (never "rejected")
    screenshot("dataset-failed")
    screenshot("dataset-failed", phone=True)

    # and the link to the anomaly that failed it lists it
    way_forward.get_by_role("link", name=re.compile("header-missing-column")).click()
    page.wait_for_url(re.compile(r"code=header-missing-column"))
    # the database, table and column names have no column
    expect(page.locator("table.anomalies tbody tr")).to_have_count(3)
    assert page_events.errors == []


def test_a_dataset_name_with_markup_is_shown_as_text(page, page_events, worker, screenshot):
    name = "<script>alert(1)</script>"
    log_in(page)

    dataset_id = upload(page, name, sample_files())

    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(name)  # the "was uploaded" message
    assert page.title().startswith(name)
    assert wait_finished(page) == "done"
    for path in ("/", f"/datasets/{dataset_id}/anomalies/", f"/datasets/{dataset_id}/browse/?namespace=N1"):
        page.goto(path)
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
        assert page.locator("main script").count() == 0
    assert page_events.dialogs == []
    assert page_events.errors == []


def test_every_page_passes_the_content_security_policy(page, page_events, sample_dataset):
    """The `page` fixture fails the test on any violation; this visits the pages no other test opens."""
    base = f"/datasets/{sample_dataset}"
    other = get_user_model().objects.create_user(username="staff", password=PASSWORD, is_staff=True)
    pages = [
        "/",
        f"{base}/",
        f"{base}/delete/",
        f"{base}/browse/?namespace=N1&database=fund_master",
        f"{base}/datapoint/?id=DP3",
        f"{base}/anomalies/?severity=error",
        f"{base}/search/?q=carbon",
        f"{base}/versions/1/anomalies/",
        f"{base}/versions/1/changes/",
        f"{base}/no-such-page/",
    ]
    for path in pages:
        page.goto(path)
        page.wait_for_load_state("load")
    # bars are <progress> elements: no page needs a style attribute, which the policy forbids
    page.goto(f"{base}/")
    expect(page.locator("[style]")).to_have_count(0)

    # the admin, as staff, and the lockout page after too many wrong passwords
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("User name").fill(other.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("/")
    page.goto("/admin/uploads/dataset/")
    page.wait_for_load_state("load")
    page.context.clear_cookies()
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        page.goto("/accounts/login/")
        page.get_by_label("User name").fill("steward")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_load_state("load")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    assert page_events.errors == []
