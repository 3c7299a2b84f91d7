"""The one shape every anomaly takes, and the registry of checks (codes and severities live in the catalogue)."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from .catalogue import SEVERITY, Code

Check = Callable[..., np.ndarray]


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
