"""The processing pipeline: three CSV files in, records to persist and anomalies out (no Django here).

The vocabulary it checks against (files, codes, severities, messages, stages, vocabularies) is the
contract's (`contract`), re-exported here for the pipeline's callers; the web process imports
`contract`, never this package (it loads pandas)."""

from contract import (
    CATALOGUE,
    FILES,
    SCHEMAS,
    SEVERITY,
    STAGE_LABELS,
    AnomalyStatus,
    Code,
    Limits,
    Progress,
    Rendered,
    Severity,
    Stage,
    Vocabularies,
    anomaly_group_fingerprint,
    anomaly_render,
    message,
)

from .codes import anomaly_fingerprints, anomaly_group_fingerprints
from .run import FileResult, PipelineResult, pipeline_run

__all__ = [
    "pipeline_run",
    "PipelineResult",
    "FileResult",
    "Vocabularies",
    "Limits",
    "Code",
    "Severity",
    "SEVERITY",
    "CATALOGUE",
    "message",
    "anomaly_render",
    "Rendered",
    "AnomalyStatus",
    "anomaly_fingerprints",
    "anomaly_group_fingerprint",
    "anomaly_group_fingerprints",
    "FILES",
    "SCHEMAS",
    "Stage",
    "STAGE_LABELS",
    "Progress",
]
