"""Rendering the two reports of the spec: `anomalies.csv` bytes and the `summary.json` dict."""

import csv
import io
from datetime import datetime

import pandas as pd

from contract import ANOMALY_COLUMNS, FILES, VALUE_MAX, AnomalyStatus, anomaly_render, cell_safe

from .codes import anomalies_empty
from .run import PipelineResult

_RENDERED = ("file", "field", "code", "value", "variant", "params")


def anomalies_rendered(anomalies: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The message and fix of each anomaly of a frame, rendered from the catalogue."""
    frame = anomalies.reindex(columns=list(_RENDERED))
    texts = [anomaly_render(dict(zip(_RENDERED, row))) for row in zip(*(frame[c].to_numpy() for c in _RENDERED))]
    return [text.message for text in texts], [text.fix for text in texts]


def anomalies_csv(anomalies: pd.DataFrame | None) -> bytes:
    """One row per anomaly, in the frame's order (`pipeline_run` already sorts it); the header
    alone when there is no result (a dataset that stopped before the engine returned). `message`
    and `fix` are rendered from the catalogue; `status` is the frame's (`new` when it has none)."""
    if anomalies is None:
        anomalies = anomalies_empty()
    out = io.StringIO()
    # CRLF as RFC 4180 says; it also makes the writer quote values holding a lone CR
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ANOMALY_COLUMNS)
    frame = anomalies.reindex(columns=["file", "line", "field", "code", "severity", "value", "status"])
    frame["line"] = frame["line"].astype("Int64").astype(str).replace("<NA>", "")
    frame["value"] = frame["value"].fillna("").astype(str).str.slice(0, VALUE_MAX)
    frame["message"], frame["fix"] = anomalies_rendered(anomalies)
    frame["status"] = frame["status"].fillna(str(AnomalyStatus.NEW))
    frame = frame[list(ANOMALY_COLUMNS)].fillna("")
    for row in zip(*(frame[c].to_numpy() for c in ANOMALY_COLUMNS)):
        writer.writerow([cell_safe(c) for c in row])
    return out.getvalue().encode("utf-8")


def summary_dict(
    *,
    dataset_id,
    name: str,
    status: str,
    error: str | None,
    result: PipelineResult | None,
    started_at: datetime | str | None,
    finished_at: datetime | str | None,
) -> dict:
    files = {}
    for file in FILES:
        counts = result.files[file] if result is not None and file in result.files else None
        if result is not None and len(result.anomalies):
            codes = result.anomalies.loc[result.anomalies["file"] == file, "code"].value_counts()
            anomalies = {str(code): int(n) for code, n in codes.items()}
        else:
            anomalies = {}
        files[file] = {
            "rows_read": counts.rows_read if counts else 0,
            "rows_persisted": counts.rows_persisted if counts else 0,
            "rows_rejected": counts.rows_rejected if counts else 0,
            "anomalies": anomalies,
        }
        omitted = result.omitted.get(file) if result is not None else None
        if omitted:  # found past the per-code limit: counted here, not listed in anomalies.csv
            files[file]["anomalies_not_listed"] = dict(omitted)
    return {
        "dataset_id": str(dataset_id),
        "name": name,
        "status": status,
        "error": error,
        "files": files,
        "anomalies_total": int(len(result.anomalies)) if result is not None else 0,
        # true when a limit cut the report (a `limit-exceeded` anomaly says what and why)
        "partial": bool(result is not None and result.partial),
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
    }


def _iso(moment: datetime | str | None) -> str | None:
    return moment.isoformat() if isinstance(moment, datetime) else moment
