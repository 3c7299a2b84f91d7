"""Writes the anomaly reports of a dataset (anomalies.csv and summary.json) to storage."""

import json
from datetime import datetime

from engine import PipelineResult
from engine.report import anomalies_csv, summary_dict
from reports.storage import report_key, storage_save


def report_write(
    *,
    dataset_id: str,
    name: str,
    status: str,
    error: str | None,
    result: PipelineResult | None,
    started_at: datetime,
    finished_at: datetime,
) -> tuple[str, str, dict]:
    """Writes both reports; returns their storage keys and the summary."""
    summary = summary_dict(
        dataset_id=dataset_id,
        name=name,
        status=status,
        error=error,
        result=result,
        started_at=started_at,
        finished_at=finished_at,
    )
    csv_key = storage_save(
        key=report_key(dataset_id=dataset_id, name="anomalies.csv"),
        content=anomalies_csv(result.anomalies if result is not None else None),
    )
    summary_key = storage_save(
        key=report_key(dataset_id=dataset_id, name="summary.json"),
        content=json.dumps(summary, indent=2, ensure_ascii=False).encode("utf-8"),
    )
    return csv_key, summary_key, summary
