"""The upload forms check each chosen file in the browser (static/js/upload-check.js) with the server's
rules and messages: a wrong file stops the submit and the files chosen in the other fields stay chosen.
A form the server sends back names the files to choose again."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from tests.browser.steps import DATASET_URL, log_in, sample_files, wait_finished
from uploads.forms import DatasetUploadForm, VersionUploadForm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

MIB = 1_048_576
LABELS = {"namespaces": "Namespaces CSV", "datapoints": "Data points CSV", "columns": "Columns CSV"}
VERSION_LABELS = {"namespaces": "New namespaces CSV", "datapoints": "New data points CSV", "columns": "New columns CSV"}


def _choose(page: Page, label: str, name: str, content: bytes) -> None:
    page.get_by_label(label, exact=True).set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})


def _server_says(form_class, name: str, content: bytes) -> str:
    """What the server's form answers for this file in the columns field."""
    form = form_class({"name": "x"}, {"columns_file": SimpleUploadedFile(name, content)})
    form.is_valid()
    return form.errors["columns_file"][0]


def _chosen(page: Page, label: str) -> list[str]:
    return page.get_by_label(label, exact=True).evaluate("input => Array.from(input.files, file => file.name)")


def _submit_is_stopped(page: Page, button: str, posts: list[str]) -> None:
    """Clicks the button and checks that nothing was sent and the page was not left."""
    url = page.url
    page.evaluate("window.__samePage = true")
    page.get_by_role("button", name=button, exact=True).click()
    assert posts == []
    assert page.url == url
    assert page.evaluate("window.__samePage === true")  # a new page would have a new window


def test_a_wrong_file_is_reported_before_sending_and_the_other_files_stay_chosen(page, page_events, worker, settings):
    settings.UPLOAD_MAX_BYTES = MIB  # so that "too large" is quick to make
    log_in(page)
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.goto("/")
    page.get_by_label("Name", exact=True).fill("Checked in the browser")
    sample = sample_files()
    _choose(page, LABELS["namespaces"], "namespaces.csv", sample["namespaces"])
    _choose(page, LABELS["datapoints"], "datapoints.csv", sample["datapoints"])
    columns = page.get_by_label(LABELS["columns"], exact=True)
    message = page.locator("#id_columns_file_error")
    expect(message).to_be_hidden()

    # when each kind of wrong file is chosen as the columns file, then its field shows the server's own message
    wrong = {
        "empty": ("columns.csv", b""),
        "name too long": ("c" * 201 + ".csv", sample["columns"]),
        "too large": ("columns.csv", b"x" * (2 * MIB)),
        "not a CSV name": ("columns.xls", sample["columns"]),
    }
    for name, content in wrong.values():
        _choose(page, LABELS["columns"], name, content)
        expect(message).to_be_visible()
        expect(message).to_have_text(_server_says(DatasetUploadForm, name, content))
        expect(columns).to_have_attribute("aria-invalid", "true")
        assert "id_columns_file_error" in columns.get_attribute("aria-describedby").split()

    # when the form is submitted with the .xls still chosen, then nothing is sent, the wrong field has
    # the focus and its message, and the two other files are still chosen
    _submit_is_stopped(page, "Upload", posts)
    expect(columns).to_be_focused()
    expect(message).to_contain_text("“columns.xls” is not a CSV file")
    assert _chosen(page, LABELS["namespaces"]) == ["namespaces.csv"]
    assert _chosen(page, LABELS["datapoints"]) == ["datapoints.csv"]

    # when the right columns file is chosen, then the message goes and the upload goes through
    _choose(page, LABELS["columns"], "columns.csv", sample["columns"])
    expect(message).to_be_hidden()
    expect(columns).not_to_have_attribute("aria-invalid", "true")
    assert "id_columns_file_error" not in (columns.get_attribute("aria-describedby") or "").split()
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(DATASET_URL)
    assert len(posts) == 1
    expect(page.get_by_role("status")).to_contain_text("“Checked in the browser” was uploaded")
    assert wait_finished(page) == "done"
    assert page_events.errors == []
    assert page_events.dialogs == []


def test_a_new_version_with_a_file_over_the_limit_keeps_the_other_chosen_files(
    page, page_events, sample_dataset, settings
):
    # given a limit of 1 MiB, set after the sample (a few KiB) was uploaded
    settings.UPLOAD_MAX_BYTES = MIB
    page.goto(f"/datasets/{sample_dataset}/")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    sample = sample_files()
    _choose(page, VERSION_LABELS["namespaces"], "namespaces-v2.csv", sample["namespaces"])
    _choose(page, VERSION_LABELS["datapoints"], "datapoints-v2.csv", sample["datapoints"])

    # when the columns file is over the limit, then its field says so, as the server would
    big = b"x" * (2 * MIB)
    _choose(page, VERSION_LABELS["columns"], "columns-v2.csv", big)
    message = page.locator("#id_columns_file_error")
    expected = _server_says(VersionUploadForm, "columns-v2.csv", big)
    assert expected == "“columns-v2.csv” is 2.0 MiB; the limit is 1 MiB."
    expect(message).to_have_text(expected)

    # and submitting sends nothing and keeps the two other files
    _submit_is_stopped(page, "Upload the new version", posts)
    columns = page.get_by_label(VERSION_LABELS["columns"], exact=True)
    expect(columns).to_be_focused()
    expect(columns).to_have_attribute("aria-invalid", "true")
    expect(message).to_have_text(expected)
    assert _chosen(page, VERSION_LABELS["namespaces"]) == ["namespaces-v2.csv"]
    assert _chosen(page, VERSION_LABELS["datapoints"]) == ["datapoints-v2.csv"]

    # when a columns file within the limit is chosen, then version 2 is uploaded with the three files
    _choose(page, VERSION_LABELS["columns"], "columns-v2.csv", sample["columns"])
    expect(message).to_be_hidden()
    page.get_by_role("button", name="Upload the new version", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Version 2 was uploaded")
    assert len(posts) == 1
    assert wait_finished(page) == "done"
    row = page.locator('#versions-table tr[data-version="2"]')
    expect(row).to_contain_text("namespaces, datapoints, columns")
    assert page_events.errors == []
    assert page_events.dialogs == []


def test_a_form_the_server_sends_back_names_the_files_to_choose_again(page, page_events):
    # given three good files and a name of spaces only, which only the server refuses
    log_in(page)
    page.goto("/")
    page.get_by_label("Name", exact=True).fill("   ")
    for file, content in sample_files().items():
        _choose(page, LABELS[file], f"{file}.csv", content)

    # when the form is sent, then the page that comes back says nothing was uploaded and which files to choose again
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator("#id_name_error")).to_have_text("This field is required.")
    expect(page.get_by_role("alert").filter(has_text="Nothing was uploaded")).to_contain_text(
        "choose the 3 files again (Namespaces CSV, Data points CSV, Columns CSV)"
    )
    again = page.locator("#id_datapoints_file_again")
    expect(again).to_have_text("“datapoints.csv” was fine: choose it again.")
    datapoints = page.get_by_label(LABELS["datapoints"], exact=True)
    assert "id_datapoints_file_again" in datapoints.get_attribute("aria-describedby").split()
    assert _chosen(page, LABELS["datapoints"]) == []

    # when it is chosen again, then its note goes
    _choose(page, LABELS["datapoints"], "datapoints.csv", sample_files()["datapoints"])
    expect(again).to_be_hidden()
    assert "id_datapoints_file_again" not in (datapoints.get_attribute("aria-describedby") or "").split()
    assert page_events.errors == []
