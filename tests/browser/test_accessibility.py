"""axe-core (npm, see package.json) on every page at laptop and phone width: no violation allowed."""

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from tests.browser.conftest import LAPTOP, PHONE
from tests.browser.steps import PASSWORD, sample_files, upload, upload_version, wait_finished

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "")),
  }));
}"""


def _violations(page, path: str | None) -> list[dict]:
    """axe's findings on `path`, or on the page as it is now (None)."""
    if path is not None:
        page.goto(path)
        page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def _upload_form_states(page) -> dict[str, list]:
    """The upload form with a message from the browser's check, then as the server sends it back."""
    found = {}
    page.goto("/")
    page.get_by_label("Name", exact=True).fill("   ")  # only the server refuses a name of spaces
    for file, content in sample_files().items():
        name = "columns.xls" if file == "columns" else f"{file}.csv"
        page.locator(f"#id_{file}_file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})
    page.locator("#id_columns_file_error").wait_for()
    found["upload form with a wrong file"] = _violations(page, None)
    page.locator("#id_columns_file").set_input_files(
        {"name": "columns.csv", "mimeType": "text/csv", "buffer": sample_files()["columns"]}
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    page.locator("#id_name_error").wait_for()
    found["upload form sent back"] = _violations(page, None)
    return found


@pytest.fixture
def axe_page(browser, live_server):
    assert AXE.exists(), "axe-core is missing: `make test` installs it with npm ci"
    # the page's Content-Security-Policy would refuse the injected script; the app's own is unchanged
    context = browser.new_context(base_url=live_server.url, viewport=LAPTOP, bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


def test_no_page_has_an_accessibility_violation_at_laptop_or_phone_width(axe_page, worker):
    page = axe_page
    found: dict[str, list] = {}
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        found[f"login {viewport['width']}"] = _violations(page, "/accounts/login/")

    get_user_model().objects.create_user(username="steward", password=PASSWORD)
    page.set_viewport_size(LAPTOP)
    page.get_by_label("User name").fill("steward")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("/")
    done = upload(page, "Sample", sample_files())
    assert wait_finished(page) == "done"
    # a version 2 renaming a column, so the versions' own pages and "What changed" exist
    page.goto(f"/datasets/{done}/")
    upload_version(page, {"columns": sample_files()["columns"].replace(b"tr_1y", b"tr_one_year")})
    assert wait_finished(page) == "done"
    broken_files = {**sample_files(), "columns": b"column_id,namespace_id\nC1,N1\n"}
    failed = upload(page, "Broken", broken_files)
    assert wait_finished(page) == "failed"

    base = f"/datasets/{done}"
    pages = {
        "list and upload form": "/",
        "dataset overview": f"{base}/",
        "failed dataset": f"/datasets/{failed}/",
        "browse namespaces": f"{base}/browse/",
        "browse databases": f"{base}/browse/?namespace=N1",
        "browse tables": f"{base}/browse/?namespace=N1&database=fund_master",
        "browse columns": f"{base}/browse/?namespace=N1&database=fund_master&table=returns",
        "browse column": f"{base}/browse/?namespace=N1&database=fund_master&table=returns&column=tr_1y",
        "data point": f"{base}/datapoint/?id=DP1",
        "anomalies": f"{base}/anomalies/",
        "anomalies filtered": f"{base}/anomalies/?code=duplicate-row",
        "anomalies grouped": f"{base}/anomalies/groups/",
        "anomalies grouped of version 1": f"{base}/versions/1/anomalies/groups/?status=all",
        "search": f"{base}/search/?q=carbon",
        "search narrowed": f"{base}/search/?q=fund&database=fund_master",
        "search every dataset": "/search/?q=fund",
        "search every dataset narrowed": "/search/?q=fund&namespace=Nothing+here",
        "version delete confirmation": f"{base}/versions/1/delete/",
        "delete confirmation": f"{base}/delete/",
        "anomalies of version 1": f"{base}/versions/1/anomalies/",
        "what changed in version 2": f"{base}/versions/2/changes/",
        "source line view": f"{base}/files/columns/lines/?line=8&field=dataset_column_name&code=whitespace",
        "source line view of version 1": f"{base}/versions/1/files/columns/lines/?line=8",
        "help: anomaly codes": "/help/anomalies/",
    }
    for viewport in (LAPTOP, PHONE):
        page.set_viewport_size(viewport)
        for name, path in pages.items():
            found[f"{name} {viewport['width']}"] = _violations(page, path)
        for name, result in _upload_form_states(page).items():
            found[f"{name} {viewport['width']}"] = result

    violations = {name: result for name, result in found.items() if result}
    assert violations == {}, json.dumps(violations, indent=1)
