"""Key checks: exact duplicate rows (dropped), then other records reusing a key (rejected)."""

import numpy as np
import pandas as pd

from contract import Code

from .codes import check_registry
from .read import FileState, column_array

CHECKS, check = check_registry()


@check(Code.DUPLICATE_ROW)
def duplicate_row(values: pd.DataFrame) -> np.ndarray:
    return values.duplicated(keep="first").to_numpy()


@check(Code.DUPLICATE_KEY)
def duplicate_key(keys: pd.Series) -> np.ndarray:
    return keys.duplicated(keep="first").to_numpy()


def keys_check(*, state: FileState) -> None:
    """Compares codes, not strings: within a column, equal codes are equal values."""
    records, schema = state.records, state.schema
    fields = [f for f in schema.fields if f in state.columns]
    reached = np.flatnonzero(state.alive & ~state.rejected)
    # A duplicate row shares its key, so only records sharing a key need the whole-row comparison.
    shared = pd.Series(column_array(records[schema.key])[reached]).duplicated(keep=False).to_numpy()
    candidates = reached[shared]
    if candidates.size == 0:
        return
    values = pd.DataFrame({f: _codes(records, f, candidates) for f in fields})
    copies = CHECKS[Code.DUPLICATE_ROW](values)
    first_line = _first_lines(values, state.lines(candidates))
    positions = candidates[copies]
    listed = state.listed(Code.DUPLICATE_ROW, positions)
    state.add(code=Code.DUPLICATE_ROW, positions=listed, params=_earlier_lines(first_line[copies][: listed.size]))
    state.duplicate[positions] = True

    kept = candidates[~copies]
    keys = pd.Series(_codes(records, schema.key, kept))
    reused = CHECKS[Code.DUPLICATE_KEY](keys)
    first_line = _first_lines(keys.to_frame(), state.lines(kept))
    positions = kept[reused]
    listed = state.listed(Code.DUPLICATE_KEY, positions)
    state.add(
        code=Code.DUPLICATE_KEY,
        field_name=schema.key,
        positions=listed,
        values=state.values(listed, schema.key).tolist(),
        params=_earlier_lines(first_line[reused][: listed.size]),
    )
    state.rejected[positions] = True


def _earlier_lines(lines: np.ndarray) -> list[dict]:
    # one dict per listed anomaly: the per-code listing limit bounds this loop
    return [{"line": line} for line in lines.tolist()]


def _codes(records: pd.DataFrame, field_name: str, positions: np.ndarray) -> np.ndarray:
    column = column_array(records[field_name])
    if isinstance(column, pd.Categorical):
        return column.codes[positions]
    return pd.factorize(column[positions], sort=False)[0]


def _first_lines(values: pd.DataFrame, lines: np.ndarray) -> np.ndarray:
    """For each row, the line of the first row holding the same values."""
    group = values.groupby(list(values.columns), sort=False, dropna=False).ngroup().to_numpy()
    first = np.full(group.max() + 1, -1, dtype=np.int64)
    first[group[::-1]] = lines[::-1]  # the last write wins: the earliest line
    return first[group]
