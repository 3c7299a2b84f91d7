"""Page load times in a real browser (Debian's Chromium via Playwright) for one processed dataset.

    .venv/bin/python bench/browser.py --url http://127.0.0.1:8000 --user admin --password ... \\
        --dataset <id> [--screenshots DIR]

Each page is loaded three times; the time from navigation start to the load event is printed
(median, slowest), slowest page first. With --screenshots, a full-page PNG of each is saved.
"""

import argparse
import statistics
import sys
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--screenshots", type=Path)
    args = parser.parse_args()
    base = f"{args.url}/datasets/{args.dataset}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{args.url}/accounts/login/")
        page.get_by_label("User name").fill(args.user)
        page.get_by_label("Password").fill(args.password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{args.url}/")
        # Follow real links to reach a column, as a person would.
        page.goto(f"{base}/browse/")
        namespace = page.locator("main table a").first.inner_text()
        page.locator("main table a").first.click()
        database = page.locator("main table a").first.inner_text()
        page.locator("main table a").first.click()
        table = page.locator("main table a").first.inner_text()
        page.locator("main table a").first.click()
        column = page.locator("main table a").first.inner_text()
        path = {"namespace": namespace, "database": database, "table": table}
        pages = {
            "datasets": f"{args.url}/",
            "dataset": f"{base}/",
            "anomalies": f"{base}/anomalies/",
            "anomalies-page-100": f"{base}/anomalies/?page=100",
            "anomalies-unused-record": f"{base}/anomalies/?code=unused-record",
            "anomalies-columns-errors": f"{base}/anomalies/?file=columns&severity=error",
            "browse-namespaces": f"{base}/browse/",
            "browse-databases": f"{base}/browse/?" + urlencode({"namespace": namespace}),
            "browse-tables": f"{base}/browse/?" + urlencode({"namespace": namespace, "database": database}),
            "browse-columns": f"{base}/browse/?" + urlencode(path),
            "browse-column": f"{base}/browse/?" + urlencode({**path, "column": column}),
            "search": f"{base}/search/?q=total+return",
        }
        results = []
        for name, url in pages.items():
            times = []
            for _ in range(3):
                page.goto(url)
                times.append(
                    page.evaluate(
                        "() => { const t = performance.getEntriesByType('navigation')[0];"
                        " return t.loadEventEnd - t.startTime; }"
                    )
                )
            if args.screenshots:
                args.screenshots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.screenshots / f"{name}.png", full_page=True)
            results.append((max(times), statistics.median(times), name))
        browser.close()
    print(f"{'page':<28} {'median ms':>10} {'max ms':>8}")
    for slowest, median, name in sorted(results, reverse=True):
        print(f"{name:<28} {median:10.1f} {slowest:8.1f}")


if __name__ == "__main__":
    main()
