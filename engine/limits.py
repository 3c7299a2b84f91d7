"""Bounds on the work one file may cost, and the checks and anomalies that enforce them.

A hostile file must not cost hours or gigabytes: past a limit, what lies beyond it is not read
(header columns, cells of a line) or not listed (anomalies of one code), and the file gets one
`limit-exceeded` anomaly saying so; a value longer than the field limit rejects its record
(`field-too-large`), which also keeps every document far below MongoDB's 16 MiB.
"""

from collections.abc import Mapping

import numpy as np
import pandas as pd

from contract import Code

from .codes import anomaly_frame


def field_size_check(*, state) -> None:
    """`field-too-large`: first check of the values stage, over every mapped field of every record."""
    records, limit = state.records, state.limits.field_chars
    # no value is longer than its record: only records of more than `limit` bytes are measured
    candidates = state.texts.longer_than(limit)
    candidates = candidates[state.alive[candidates]]
    for field_name in (f for f in state.schema.fields if f in state.columns):
        lengths = _lengths(records[field_name].iloc[candidates])
        mask = np.zeros(len(records), dtype=bool)
        mask[candidates[lengths > limit]] = True
        positions = state.listed(Code.FIELD_TOO_LARGE, np.flatnonzero(mask))
        state.add(
            code=Code.FIELD_TOO_LARGE,
            field_name=field_name,
            positions=positions,
            values=state.values(positions, field_name).tolist(),
            params=[{"length": int(n), "limit": limit} for n in lengths[lengths > limit][: positions.size]],
        )
        state.rejected |= mask


def _lengths(column: pd.Series) -> np.ndarray:
    """Characters per record: a Categorical measures each distinct value once."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        sizes = column.cat.categories.str.len().to_numpy(dtype=np.int64)
        codes = column.cat.codes.to_numpy()
        return sizes[codes] if sizes.size else np.zeros(len(column), dtype=np.int64)
    values = column.to_numpy()
    return np.fromiter(map(len, values), dtype=np.int64, count=values.size)  # C-level iteration: no Python loop


def limit_anomalies(
    *, name: str, notes: list[tuple[str, dict]], omitted: Mapping[Code, int], limit: int
) -> list[pd.DataFrame]:
    """One `limit-exceeded` anomaly per limit the file passed (`notes`: variant and params of each read limit)."""
    notes = list(notes) + [
        ("not-listed", {"omitted_code": str(code), "count": int(count), "limit": int(limit)})
        for code, count in omitted.items()
    ]
    return [
        anomaly_frame(file=name, code=Code.LIMIT_EXCEEDED, lines=[None], values="", variant=variant, params=params)
        for variant, params in notes
    ]
