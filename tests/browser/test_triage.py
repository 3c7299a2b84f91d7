"""Triage in Chromium: the anomalies grouped, a group accepted with a note, the same files uploaded
again as version 2, where the group is accepted and out of "needs attention"; the rejected rows
file downloaded with the upload's header; fixes picked made into a version, "What changed" showing them."""

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.steps import DATASET_URL, log_in, open_tab, sample_files, upload, upload_version, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]


def _group_row(page: Page, code: str):
    return page.locator("table.anomalies tbody tr").filter(has=page.locator("td[data-label=Code]", has_text=code))


def test_a_group_accepted_stays_accepted_in_the_next_version(page, page_events, sample_dataset, screenshot):
    open_tab(page, "Anomalies")
    page.get_by_role("link", name="Anomalies grouped by file, code, field and value").click()
    page.wait_for_url(re.compile(r"/anomalies/groups/$"))
    severities = page.locator("td[data-label=Severity]").all_inner_texts()
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert len(severities) == 10

    # when the steward accepts the whitespace group with a note
    row = _group_row(page, "whitespace")
    expect(row.locator("td[data-label=Fix]")).not_to_be_empty()
    row.get_by_text("Accept…").click()
    row.get_by_label("Note").fill("padded by the source system")
    row.get_by_role("button", name="Accept this group").click()
    page.wait_for_url(re.compile(r"/anomalies/groups/$"))

    # then it shows as accepted at once, with its note and an undo
    expect(page.locator(".messages")).to_contain_text("is accepted")
    row = _group_row(page, "whitespace")
    expect(row.locator("td[data-label=Status]")).to_contain_text("accepted")
    expect(row.locator("td[data-label=Status]")).to_contain_text("padded by the source system")
    expect(row.get_by_role("button", name="Undo accept")).to_be_visible()
    screenshot("group-accepted")

    # when the same files are uploaded again as version 2
    page.goto(f"/datasets/{sample_dataset}/")
    upload_version(page, sample_files())
    assert wait_finished(page) == "done"

    # then the group is accepted there too, and out of "needs attention"
    page.goto(f"/datasets/{sample_dataset}/anomalies/groups/")
    expect(page.locator("h1")).to_contain_text("version 2")
    expect(page.locator("#status-counts")).to_contain_text("1 accepted")
    expect(_group_row(page, "whitespace")).to_have_count(0)
    expect(page.locator("td[data-label=Code]")).to_have_count(9)
    page.get_by_label("Status").select_option("accepted")
    page.get_by_role("button", name="Filter").click()
    row = _group_row(page, "whitespace")
    expect(row.locator("td[data-label=Status]")).to_contain_text("accepted")
    open_tab(page, "Anomalies")
    expect(page.locator("td[data-label=Code]", has_text="whitespace")).to_have_count(0)
    assert not page_events.errors


def test_the_rejected_rows_file_opens_with_the_uploads_header(page, sample_dataset):
    page.goto(f"/datasets/{sample_dataset}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"rejected columns rows")).click()
    download = download_info.value
    assert download.suggested_filename == "sample-rejected-columns.csv"
    text = download.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = sample_files()["columns"].decode().splitlines()[0].split(",")
    assert rows[0] == [*header, "source_line"]
    assert [row[-1] for row in rows[1:]] == ["7", "9"]


def test_fixes_picked_make_a_new_version_whose_what_changed_shows_them(page, page_events, worker):
    files = sample_files()
    files["datapoints"] = files["datapoints"].replace(b",percentage,", b",integr,")
    files["columns"] += b"C12,N1,fund_master,returns,tr_10y,DP1,equity-research\n"
    log_in(page)
    dataset_id = upload(page, "Fixable", files)
    assert wait_finished(page) == "done"

    # when the steward picks the did-you-mean and the near-duplicate fixes and makes a version of them
    page.goto(f"/datasets/{dataset_id}/anomalies/groups/")
    expect(_group_row(page, "unknown-reference").get_by_label("apply this fix")).to_have_count(0)
    for code in ("invalid-value", "near-duplicate"):
        _group_row(page, code).filter(has_text="replace").get_by_label("apply this fix").check()
    page.get_by_role("button", name="Make a new version from them").click()
    page.wait_for_url(DATASET_URL)
    expect(page.locator(".messages")).to_contain_text("Version 2 was made from the fixes")
    assert wait_finished(page) == "done"

    # then "What changed" shows exactly those fixes
    open_tab(page, "What changed")
    datapoints = [" ".join(t.split()) for t in page.locator("#diff-datapoints tbody tr").all_inner_texts()]
    columns = [" ".join(t.split()) for t in page.locator("#diff-columns tbody tr").all_inner_texts()]
    assert datapoints == ["changed DP1 data_type 2 integr integer"], datapoints
    assert columns == ["changed C12 dataset_owner_name 13 equity-research Equity Research"], columns
    assert not page_events.errors
