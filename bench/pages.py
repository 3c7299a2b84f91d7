"""Server time of every page of a dataset's current version (e.g. 1,000,000 columns from bench/database.py).

    .venv/bin/python bench/pages.py --dataset <id> [--repeat 5]

Each page is requested through Django's test client in this process, against the real MongoDB
(FerretDB here); the median and the slowest of the repeats are printed, slowest page first.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")


def pages_client():
    """Django's test client, logged in as the bench's user; needs `django.setup()` first."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    user, _ = get_user_model().objects.get_or_create(username="bench-pages")
    client = Client()
    client.force_login(user)
    return client


def page_urls(*, dataset_id: str, extra: dict | None = None) -> dict[str, tuple[str, dict]]:
    """Every page of the dataset's current version (name → (url, query)), plus `extra` pages."""
    from catalog import selectors
    from uploads.models import Dataset

    key = Dataset.objects.get(pk=dataset_id).current_version.records_key
    base = f"/datasets/{dataset_id}"
    first = selectors.namespaces_for_dataset(version=key)
    page = selectors.namespaces_for_dataset(version=key, page=2) if first.has_next() else first
    namespace = page[0]["namespace_id"]
    database = selectors.databases_for_namespace(version=key, namespace_id=namespace)[0]["name"]
    table = selectors.tables_for_database(version=key, namespace_id=namespace, database=database)[0]["name"]
    column_items = selectors.columns_for_table(
        version=key, namespace_id=namespace, database=database, table=table
    ).object_list
    # a column mapped to a data point (at small scales the first one may map to none)
    column_item, data_point = next(
        (item, m["data_point_id"]) for item in column_items for m in item["mappings"] if m["data_point_id"]
    )
    path = {"namespace": namespace, "database": database, "table": table}
    counts = Dataset.objects.get(pk=dataset_id).current_version.counts
    deep = {"line": max(2, counts["columns"]["rows_read"] - 10), "field": "dataset_column_name", "code": "whitespace"}
    middle = max(2, counts["datapoints"]["rows_read"] // 2)
    pages = {
        "datasets list": ("/", {}),
        "dataset page": (f"{base}/", {}),
        "status.json": (f"{base}/status.json", {}),
        "anomalies": (f"{base}/anomalies/", {}),
        "anomalies page 20": (f"{base}/anomalies/", {"page": 20}),
        "anomalies by code": (f"{base}/anomalies/", {"code": "unused-record"}),
        "anomalies by file+severity": (f"{base}/anomalies/", {"file": "columns", "severity": "error"}),
        "anomaly groups": (f"{base}/anomalies/groups/", {}),
        "anomaly groups page 3, all": (f"{base}/anomalies/groups/", {"page": 3, "status": "all"}),
        "anomaly groups by file": (f"{base}/anomalies/groups/", {"file": "columns"}),
        "rejected columns rows": (f"{base}/rejected/columns.csv", {}),
        "browse namespaces": (f"{base}/browse/", {}),
        "browse namespaces page 30": (f"{base}/browse/", {"page": 30}),
        "browse databases": (f"{base}/browse/", {"namespace": namespace}),
        "browse tables": (f"{base}/browse/", {"namespace": namespace, "database": database}),
        "browse columns": (f"{base}/browse/", path),
        "browse column": (f"{base}/browse/", {**path, "column": column_item["name"]}),
        "data point": (f"{base}/datapoint/", {"id": data_point}),
        "search one word": (f"{base}/search/", {"q": "return"}),
        "search two words": (f"{base}/search/", {"q": "total return"}),
        "search prefix": (f"{base}/search/", {"q": "ret"}),
        "search accents folded": (f"{base}/search/", {"q": "zurich"}),
        "search accents page 3": (f"{base}/search/", {"q": "zurich", "cpage": 3}),
        "search exact value": (f"{base}/search/", {"q": "rixk_warehouse"}),
        "search column id": (f"{base}/search/", {"q": "COL0000123"}),
        "search common owner": (f"{base}/search/", {"q": "risk management"}),
        "search typed value first": (f"{base}/search/", {"q": "equity-research"}),
        "search namespace name": (f"{base}/search/", {"q": "asset management"}),
        "search abbreviation": (f"{base}/search/", {"q": "TR1Y"}),
        "search methodology ref": (f"{base}/search/", {"q": "MR-003"}),
        "search narrowed": (f"{base}/search/", {"q": "risk management", "database": database}),
        "search every dataset": ("/search/", {"q": "risk management"}),
        "search every dataset, one": ("/search/", {"q": "return", "dataset": dataset_id, "database": database}),
        "export column": (f"{base}/export.json", {**path, "column": column_item["name"]}),
        "export namespace": (f"{base}/export.json", {"namespace": namespace}),
        "line view, columns near the end": (f"{base}/files/columns/lines/", deep),
        "line view, columns line 2": (f"{base}/files/columns/lines/", {**deep, "line": 2}),
        "line view, datapoints middle": (f"{base}/files/datapoints/lines/", {"line": middle, "code": "blank-row"}),
        "record link (column row)": (f"{base}/records/columns/", {"key": column_item["mappings"][0]["column_id"]}),
        "help: anomaly codes": ("/help/anomalies/", {}),
        **(extra or {}),
    }
    return pages


def page_get(client, url: str, query: dict) -> tuple[float, int]:
    """Milliseconds to serve the page whole (a streamed body read to its end), and its status."""
    started = time.perf_counter()
    response = client.get(url, query)
    if hasattr(response, "streaming_content"):
        b"".join(response.streaming_content)
    return (time.perf_counter() - started) * 1000, response.status_code


def page_timings(*, dataset_id: str, repeat: int = 5, extra: dict | None = None) -> list[tuple[float, float, str]]:
    """(max ms, median ms, name) of every page of the dataset's current version, plus `extra` pages
    (name → (url, query)); needs `django.setup()` first."""
    return pages_time(pages_client(), page_urls(dataset_id=dataset_id, extra=extra), repeat=repeat)


def pages_time(client, pages: dict, *, repeat: int) -> list[tuple[float, float, str]]:
    """(max ms, median ms, name) of each page (name → (url, query)), slowest first."""
    results = []
    for name, (url, query) in pages.items():
        times = []
        for _ in range(repeat):
            milliseconds, status = page_get(client, url, query)
            times.append(milliseconds)
            assert status in (200, 302), (name, status)
        results.append((max(times), statistics.median(times), name))
        print(f"  {name}: {statistics.median(times):.1f} ms", file=sys.stderr, flush=True)
    return sorted(results, reverse=True)


def timings_print(results: list[tuple[float, float, str]]) -> None:
    print(f"{'page':<28} {'median ms':>10} {'max ms':>8}")
    for slowest, median, name in results:
        print(f"{name:<28} {median:10.1f} {slowest:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    timings_print(page_timings(dataset_id=args.dataset, repeat=args.repeat))


if __name__ == "__main__":
    main()
