"""Anomaly codes and severities from the spec, and the one shape every anomaly takes."""

from collections.abc import Callable
from enum import StrEnum

import numpy as np
import pandas as pd

Check = Callable[..., np.ndarray]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(StrEnum):
    # Declared in the spec's table order, which is also the order checks run in.
    FILE_EMPTY = "file-empty"
    FILE_NOT_CSV = "file-not-csv"
    FILE_ENCODING = "file-encoding"
    LIMIT_EXCEEDED = "limit-exceeded"
    HEADER_MISSING_COLUMN = "header-missing-column"
    HEADER_UNKNOWN_COLUMN = "header-unknown-column"
    HEADER_DUPLICATE_COLUMN = "header-duplicate-column"
    BLANK_ROW = "blank-row"
    MISSING_CELL = "missing-cell"
    EXTRA_CELL = "extra-cell"
    FIELD_TOO_LARGE = "field-too-large"
    WHITESPACE = "whitespace"
    REQUIRED_BLANK = "required-blank"
    INVALID_VALUE = "invalid-value"
    DUPLICATE_ROW = "duplicate-row"
    DUPLICATE_KEY = "duplicate-key"
    UNKNOWN_REFERENCE = "unknown-reference"
    UNUSED_RECORD = "unused-record"
    NEAR_DUPLICATE = "near-duplicate"


SEVERITY: dict[Code, Severity] = {
    Code.FILE_EMPTY: Severity.ERROR,
    Code.FILE_NOT_CSV: Severity.ERROR,
    Code.FILE_ENCODING: Severity.WARNING,
    Code.LIMIT_EXCEEDED: Severity.WARNING,
    Code.HEADER_MISSING_COLUMN: Severity.ERROR,
    Code.HEADER_UNKNOWN_COLUMN: Severity.WARNING,
    Code.HEADER_DUPLICATE_COLUMN: Severity.WARNING,
    Code.BLANK_ROW: Severity.INFO,
    Code.MISSING_CELL: Severity.WARNING,
    Code.EXTRA_CELL: Severity.WARNING,
    Code.FIELD_TOO_LARGE: Severity.ERROR,
    Code.WHITESPACE: Severity.INFO,
    Code.REQUIRED_BLANK: Severity.ERROR,
    Code.INVALID_VALUE: Severity.WARNING,
    Code.DUPLICATE_ROW: Severity.WARNING,
    Code.DUPLICATE_KEY: Severity.ERROR,
    Code.UNKNOWN_REFERENCE: Severity.ERROR,
    Code.UNUSED_RECORD: Severity.INFO,
    Code.NEAR_DUPLICATE: Severity.INFO,
}

# Errors at file level reject the whole dataset.
FILE_LEVEL_ERRORS = frozenset({Code.FILE_EMPTY, Code.FILE_NOT_CSV, Code.HEADER_MISSING_COLUMN})

ANOMALY_COLUMNS = ("file", "line", "field", "code", "severity", "value", "message")
# The frame the engine returns has one more column than the report: the key of the record an
# anomaly is about ("" for file- and header-level anomalies, and for records whose key is blank),
# so that pages can link to the record and versions can match anomalies without line numbers.
ANOMALY_FRAME_COLUMNS = (*ANOMALY_COLUMNS, "key")
VALUE_MAX = 200


def anomaly_frame(*, file: str, code: Code, lines, values, message, field: str = "", keys="") -> pd.DataFrame:
    """Anomalies of one code on one field; `lines`/`values`/`message`/`keys` are scalars or equal-length sequences."""
    lines = pd.array(lines if pd.api.types.is_list_like(lines) else [lines], dtype="Int64")
    n = len(lines)
    values = pd.Series(values if pd.api.types.is_list_like(values) else [values] * n, dtype=object)
    return pd.DataFrame(
        {
            "file": file,
            "line": lines,
            "field": field,
            "code": str(code),
            "severity": str(SEVERITY[code]),
            "value": values.fillna("").astype(str).str.slice(0, VALUE_MAX).to_numpy(),
            "message": message if isinstance(message, str) else list(message),
            "key": keys if isinstance(keys, str) else pd.Series(keys, dtype=object).fillna("").astype(str).to_numpy(),
        },
        index=range(n),
    )


def anomalies_empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "line" else object) for c in ANOMALY_FRAME_COLUMNS})


def check_registry() -> tuple[dict[Code, Check], Callable[[Code], Callable[[Check], Check]]]:
    """A stage's checks by code, and the decorator that registers one: each check is a small
    vectorised function returning a boolean mask over the records."""
    checks: dict[Code, Check] = {}

    def check(code: Code) -> Callable[[Check], Check]:
        def register(function: Check) -> Check:
            checks[code] = function
            return function

        return register

    return checks, check
