"""Search that finds what was typed (issue 18): the exact value first, names, abbreviations and
methodology references, names shown instead of ids, and one search across every dataset."""

import pytest
from playwright.sync_api import expect

from tests.browser.steps import log_in, upload, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

COLUMNS_HEADER = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id,"
    "dataset_owner_name\n"
)
DATAPOINTS = (
    "data_point_id,data_point_name,approved_abbreviations,data_type,methodology_reference\n"
    "DP1,Total Return 1 Year,TR1Y|TR,decimal,MR-001\n"
    "DP2,Net Asset Value,NAV,decimal,MR-003\n"
)


def _files(owner_rows: int, *, second_namespace: str) -> dict[str, bytes]:
    # many rows hold "Equity Research"; the one holding exactly `equity-research` comes last in the file
    rows = [f"C{i:03d},N1,warehouse,positions,c{i:03d},DP1,Equity Research" for i in range(owner_rows)]
    rows.append("CX,N2,lake,prices,price,DP2,equity-research")
    return {
        "namespaces": f"namespace_id,namespace_option_name\nN1,Asset Management\nN2,{second_namespace}\n".encode(),
        "datapoints": DATAPOINTS.encode(),
        "columns": (COLUMNS_HEADER + "\n".join(rows) + "\n").encode(),
    }


def _search(page, query: str) -> None:
    page.get_by_label("Words to find").fill(query)
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_load_state()


def test_search_finds_what_was_typed_in_one_dataset_and_across_datasets(page, page_events, worker, screenshot):
    log_in(page)
    first = upload(page, "Funds", _files(60, second_namespace="Développement"))
    assert wait_finished(page) == "done"
    upload(page, "Funds copy", _files(3, second_namespace="Research"))
    assert wait_finished(page) == "done"

    page.goto(f"/datasets/{first}/search/")
    columns = page.get_by_role("region", name="Column rows found").locator("tbody tr")
    # the record holding exactly what was typed is the first of 61, before every "Equity Research"
    _search(page, "equity-research")
    expect(page.locator("#columns-total")).to_have_text("(61)")
    expect(columns.first).to_contain_text("equity-research")
    expect(columns.first).to_contain_text("price")
    # the namespace's name is searched, with its accents, and shown instead of its id alone
    _search(page, "developpement")
    expect(page.locator("#columns-total")).to_have_text("(1)")
    expect(columns.first.locator("td").nth(3)).to_contain_text("Développement")
    _search(page, "Asset Management")
    expect(page.locator("#columns-total")).to_have_text("(60)")
    # abbreviations and methodology references find their data points
    datapoints = page.get_by_role("region", name="Data points found").locator("tbody tr")
    _search(page, "TR1Y")
    expect(datapoints).to_have_count(1)
    expect(datapoints.first).to_contain_text("DP1")
    _search(page, "MR-003")
    expect(datapoints).to_have_count(1)
    expect(datapoints.first).to_contain_text("DP2")
    # the counts narrow: one owner of the 61
    _search(page, "equity research")
    page.locator("#facet-database").get_by_role("link", name="lake").click()
    expect(page.locator("#columns-total")).to_have_text("(1)")
    expect(page.locator("#datapoints-title").locator("..")).to_contain_text("Narrowed to column rows")
    screenshot("search-ranked")
    screenshot("search-ranked", phone=True)

    # one search across every dataset, from the datasets list
    page.goto("/")
    page.get_by_label("Search every dataset").fill("equity-research")
    page.get_by_role("button", name="Search", exact=True).click()
    page.wait_for_url("**/search/?q=equity-research")
    per_dataset = page.locator("#facet-dataset")
    expect(per_dataset.get_by_role("listitem").filter(has_text="Funds copy")).to_contain_text("4")
    funds = page.get_by_role("link", name="Funds", exact=True)
    expect(per_dataset.get_by_role("listitem").filter(has=funds)).to_contain_text("61")
    expect(page.locator("#facet-namespace")).to_contain_text("Asset Management")
    # each dataset's first match is the exact one
    found = page.get_by_role("region", name="Column rows found in Funds", exact=True).locator("tbody tr")
    expect(found.first).to_contain_text("equity-research")
    # narrowed to a namespace, then to one dataset
    page.locator("#facet-namespace").get_by_role("link", name="Research", exact=True).click()
    expect(page.locator("#facet-dataset").get_by_role("listitem")).to_have_count(1)
    expect(page.locator("#facet-dataset")).to_contain_text("Funds copy")
    page.locator("#facet-dataset").get_by_role("link", name="Funds copy").click()
    expect(page.get_by_role("heading", level=2, name="Funds copy")).to_be_visible()
    page.get_by_role("link", name="Every match in Funds copy").click()
    expect(page.locator("#columns-total")).to_have_text("(1)")
    screenshot("search-all")
    screenshot("search-all", phone=True)
    assert page_events.errors == []
