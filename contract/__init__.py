"""The contract: what `shared/data-spec.md` fixes and both sides of the app must agree on, in plain
Python (no pandas, no numpy, no Django).

The engine checks uploads against it (in the worker); the pages, the API and the reports show it
(in the web process). So it lives apart from the engine's pipeline: a web process imports this
package, never `engine`. Here: the three files and their fields (`schema`), the anomaly catalogue
(codes, severities, messages, fixes), the stages of processing, the configurable vocabularies, the
CSV dialect accepted, and the reports' vocabulary (columns, statuses, fingerprints, formula-safe
cells). One home for each fact: the engine imports them from here.
"""

from .catalogue import CATALOGUE, FILE_LEVEL_ERRORS, SEVERITY, Code, Rendered, Severity, anomaly_render, message
from .limits import Limits
from .report import (
    ANOMALY_COLUMNS,
    FORMULA_STARTS,
    VALUE_MAX,
    AnomalyStatus,
    anomaly_fingerprint,
    anomaly_group_fingerprint,
    cell_safe,
)
from .schema import FILES, SCHEMAS, FileSchema
from .stages import STAGE_LABELS, Progress, Stage
from .vocabularies import Vocabularies, vocabulary_allowed, vocabulary_words

__all__ = [
    "ANOMALY_COLUMNS",
    "CATALOGUE",
    "FILES",
    "FILE_LEVEL_ERRORS",
    "FORMULA_STARTS",
    "SCHEMAS",
    "SEVERITY",
    "STAGE_LABELS",
    "VALUE_MAX",
    "AnomalyStatus",
    "Code",
    "FileSchema",
    "Limits",
    "Progress",
    "Rendered",
    "Severity",
    "Stage",
    "Vocabularies",
    "anomaly_fingerprint",
    "anomaly_group_fingerprint",
    "anomaly_render",
    "cell_safe",
    "message",
    "vocabulary_allowed",
    "vocabulary_words",
]
