"""A triage decision on a large current version: how long the job takes to rebuild its anomaly pages
(`uploads.status_pages`), and the anomaly pages' server time after it (they then read the rebuilt
pages). The decision is undone and the pages rebuilt again at the end, so the dataset is left as found.

    .venv/bin/python bench/triage.py --dataset <id> [--repeat 5]

Run after bench/pages.py on the same dataset (`make bench` does); the first group (errors first) is accepted.
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zemoga_datasets.settings.development")


def _timed_refresh(version_id: str) -> float:
    from uploads.status_pages import version_statuses_refresh

    started = time.perf_counter()
    assert version_statuses_refresh(version_id=version_id)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from bench.pages import pages_client, pages_time, timings_print
    from catalog import selectors
    from catalog.mongo import version_collection
    from uploads.models import AcceptanceScope, Dataset
    from uploads.triage import AnomalyChosen, anomaly_accept, anomaly_accept_undo

    dataset = Dataset.objects.get(pk=args.dataset)
    version = dataset.current_version
    group = selectors.anomaly_groups_list(version=version.records_key, status="all").object_list[0]
    chosen = AnomalyChosen(file=group["file"], code=group["code"], field=group["field"], value=group["value"])
    acceptance = anomaly_accept(dataset=dataset, user=None, scope=AcceptanceScope.GROUP, chosen=chosen)
    accepted = _timed_refresh(str(version.pk))
    anomalies = version_collection(version=version.records_key, kind="anomalies").estimated_document_count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"accepting the first group ({group['code']}, {group['count']:,} anomalies of {anomalies:,}): "
        f"pages rebuilt in {accepted:.2f} s; peak RSS {peak:.0f} MiB"
    )
    base = f"/datasets/{dataset.pk}"
    anomaly_pages = {
        "anomalies (rebuilt)": (f"{base}/anomalies/", {}),
        "anomalies accepted (rebuilt)": (f"{base}/anomalies/", {"status": "accepted"}),
        "anomaly groups (rebuilt)": (f"{base}/anomalies/groups/", {}),
    }
    timings_print(pages_time(pages_client(), anomaly_pages, repeat=args.repeat))
    anomaly_accept_undo(dataset=dataset, fingerprint=acceptance.fingerprint)
    print(f"undoing it: pages rebuilt in {_timed_refresh(str(version.pk)):.2f} s")


if __name__ == "__main__":
    main()
