"""Ground-truth sample datasets: linked CSV files with anomalies injected at known places, and the report
they must produce, derived from the generator's own cells and lines, never from the pipeline. No Django."""

from .dataset import DIALECTS, SampleDataset, sample_generate, sample_write
from .spec import (
    CATEGORICAL,
    EXPECTED_COLUMNS,
    FIELDS,
    FILES,
    KEY,
    REQUIRED,
    VARIANTS,
    VOCABULARIES,
    fingerprint,
)

__all__ = [
    "CATEGORICAL",
    "DIALECTS",
    "EXPECTED_COLUMNS",
    "FIELDS",
    "FILES",
    "KEY",
    "REQUIRED",
    "SampleDataset",
    "VARIANTS",
    "VOCABULARIES",
    "fingerprint",
    "sample_generate",
    "sample_write",
]
