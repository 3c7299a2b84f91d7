"""The processing pipeline: three CSV files in, records to persist and anomalies out (no Django here)."""

from .catalogue import CATALOGUE, SEVERITY, Code, Rendered, Severity, anomaly_render, message
from .codes import AnomalyStatus, anomaly_fingerprints, anomaly_group_fingerprint, anomaly_group_fingerprints
from .limits import Limits
from .run import FileResult, PipelineResult, pipeline_run
from .schema import FILES, SCHEMAS
from .stages import STAGE_LABELS, Progress, Stage
from .vocabularies import Vocabularies

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
