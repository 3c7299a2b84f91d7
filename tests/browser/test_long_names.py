"""At phone width (390 px) a long dataset name wraps: every character of it stays on the screen."""

import pytest

from tests.browser.conftest import PHONE
from tests.browser.steps import log_in
from tests.factories import VersionFactory, published_dataset
from uploads.models import Dataset

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

LONG_NAME = "Quarterly_risk_positions_extract_for_equity_research_and_asset_management_2026 final revised"
# Every element holding the name whose box, or the box of a scrolling region around it, leaves the screen.
CLIPPED = """(name) => {
  const out = [];
  for (const element of document.querySelectorAll("body *")) {
    if (element.children.length || !element.textContent.includes(name.slice(0, 20))) continue;
    const box = element.getBoundingClientRect();
    let clip = element.parentElement, right = window.innerWidth;
    for (; clip; clip = clip.parentElement) {
      const style = getComputedStyle(clip);
      if (style.overflowX !== "visible") right = Math.min(right, clip.getBoundingClientRect().right);
    }
    if (box.right > right + 1 || box.left < -1) out.push(`${element.tagName} ${box.right} > ${right}`);
  }
  return out;
}"""


def test_long_names_wrap_instead_of_being_clipped_at_phone_width(page):
    log_in(page)
    dataset = published_dataset(dataset__name=LONG_NAME, dataset__owner=None)
    VersionFactory(dataset=dataset, number=2, status="failed")
    Dataset.objects.filter(pk=dataset.pk).update(name=LONG_NAME)
    page.set_viewport_size(PHONE)

    for path in ("/", f"/datasets/{dataset.pk}/", f"/datasets/{dataset.pk}/browse/", f"/datasets/{dataset.pk}/search/"):
        page.goto(path)
        assert page.get_by_text(LONG_NAME).count() >= 1, path
        assert page.evaluate(CLIPPED, LONG_NAME) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
