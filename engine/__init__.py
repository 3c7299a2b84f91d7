"""The processing pipeline: three CSV files in, records to persist and anomalies out (no Django here)."""

from .codes import SEVERITY, Code, Severity
from .limits import Limits
from .run import FileResult, PipelineResult, pipeline_run
from .schema import FILES, SCHEMAS
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
    "FILES",
    "SCHEMAS",
]
