"""Renders the anomaly reports of a version (anomalies.csv and summary.json) as bytes.

The caller stores them (in the version's `FileField`s): this layer knows no Django model.
"""

import json
from dataclasses import dataclass
from datetime import datetime

from engine import PipelineResult
from engine.report import anomalies_csv, summary_dict


@dataclass(frozen=True)
class RenderedReports:
    anomalies_csv: bytes
    summary_json: bytes
    summary: dict


def reports_render(
    *,
    dataset_id: str,
    name: str,
    status: str,
    error: str | None,
    result: PipelineResult | None,
    started_at: datetime,
    finished_at: datetime,
) -> RenderedReports:
    summary = summary_dict(
        dataset_id=dataset_id,
        name=name,
        status=status,
        error=error,
        result=result,
        started_at=started_at,
        finished_at=finished_at,
    )
    return RenderedReports(
        anomalies_csv=anomalies_csv(result.anomalies if result is not None else None),
        summary_json=json.dumps(summary, indent=2, ensure_ascii=False).encode("utf-8"),
        summary=summary,
    )
