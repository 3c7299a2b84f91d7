"""Value checks (whitespace, required-blank, invalid-value), and the cleaned values that get persisted."""

from collections.abc import Callable

import numpy as np
import pandas as pd

from .codes import Code
from .read import FileState
from .vocabularies import Vocabularies

ValueCheck = Callable[..., np.ndarray]
CHECKS: dict[Code, ValueCheck] = {}


def check(code: Code):
    def register(function: ValueCheck) -> ValueCheck:
        CHECKS[code] = function
        return function

    return register


@check(Code.WHITESPACE)
def whitespace(raw: pd.Series, *, trimmed: pd.Series) -> np.ndarray:
    # whitespace only is blank, not a whitespace anomaly
    return ((raw != trimmed) & (trimmed != "")).to_numpy()


@check(Code.REQUIRED_BLANK)
def required_blank(trimmed: pd.Series) -> np.ndarray:
    return (trimmed == "").to_numpy()


@check(Code.INVALID_VALUE)
def invalid_value(trimmed: pd.Series, *, vocabulary: dict) -> np.ndarray:
    # over distinct values: few of them, many rows
    codes, uniques = pd.factorize(trimmed, sort=False)
    outside = np.array([u != "" and u.lower() not in vocabulary for u in uniques], dtype=bool)
    return outside[codes] if len(uniques) else np.zeros(len(trimmed), dtype=bool)


def values_check(*, state: FileState, vocabularies: Vocabularies) -> None:
    records, schema = state.records, state.schema
    fields = [f for f in schema.fields if f in state.columns]
    # Whitespace: only records whose bytes showed a space at a cell edge can hold one.
    suspects = np.flatnonzero(state.alive & records["suspect"].to_numpy())
    state.raw = records.iloc[suspects][fields].copy()
    for field_name in fields:
        raw = state.raw[field_name]
        trimmed = raw.str.strip()
        positions = suspects[CHECKS[Code.WHITESPACE](raw, trimmed=trimmed)]
        state.add(
            code=Code.WHITESPACE,
            field_name=field_name,
            positions=positions,
            values=state.raw[field_name].reindex(positions).tolist(),
            message="surrounding whitespace trimmed",
        )
        if len(suspects):
            records.iloc[suspects, records.columns.get_loc(field_name)] = trimmed.to_numpy()
    for field_name in (f for f in fields if f in schema.required):
        mask = state.alive & CHECKS[Code.REQUIRED_BLANK](records[field_name])
        positions = np.flatnonzero(mask)
        state.add(
            code=Code.REQUIRED_BLANK,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
            message=f"required field {field_name} is blank; record rejected",
        )
        state.rejected |= mask
    for field_name in (f for f in fields if f in schema.vocabulary_fields):
        vocabulary = vocabularies.vocabulary(field_name)
        positions = np.flatnonzero(state.alive)
        found = CHECKS[Code.INVALID_VALUE](records[field_name].iloc[positions], vocabulary=vocabulary)
        positions = positions[found]
        state.add(
            code=Code.INVALID_VALUE,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
            message=f"not in the {field_name} vocabulary; stored as given",
        )


def records_clean(*, state: FileState, vocabularies: Vocabularies, persisted: np.ndarray) -> pd.DataFrame:
    """The records to persist, one column per spec field plus `line`; takes the columns out of `state`."""
    schema, records = state.schema, state.records
    positions = np.flatnonzero(persisted)
    out: dict[str, object] = {}
    for field_name in schema.fields:
        if field_name not in state.columns:
            out[field_name] = np.full(positions.size, None, dtype=object)
            continue
        values = records.pop(field_name).to_numpy()[positions]  # pop: the working column is freed at once
        # a persisted record has no blank required field
        blank = np.zeros(values.size, dtype=bool) if field_name in schema.required else values == ""
        if field_name in schema.list_fields:
            # split each distinct value once; rows share the (read-only) lists of their value
            codes, uniques = pd.factorize(values, sort=False)
            values = _objects([_list_split(u) for u in uniques])[codes] if len(uniques) else values
        elif field_name in schema.vocabulary_fields:
            values = _vocabulary_map(values, vocabularies.vocabulary(field_name))
            values[blank] = None
        else:
            values[blank] = None
        out[field_name] = values
    out["line"] = records["line"].to_numpy()[positions].astype(np.int64)
    return pd.DataFrame(out)


def _list_split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _vocabulary_map(values: np.ndarray, vocabulary: dict) -> np.ndarray:
    codes, uniques = pd.factorize(values, sort=False)
    mapped = _objects([vocabulary.get(u.lower(), u) for u in uniques])
    return mapped[codes] if len(uniques) else values.copy()


def _objects(items: list) -> np.ndarray:
    # element by element: numpy would turn a list of equal-length lists into a 2-D array
    array = np.empty(len(items), dtype=object)
    for position, item in enumerate(items):
        array[position] = item
    return array
