"""Value checks (whitespace, required-blank, invalid-value), and the cleaned values that get persisted."""

import numpy as np
import pandas as pd

from contract import Code, Vocabularies, vocabulary_allowed, vocabulary_words

from .codes import check_registry, params_per_value
from .guidance import closest
from .read import FileState, column_array, column_take

CHECKS, check = check_registry()


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
    state.raw = pd.DataFrame({f: column_take(records[f], suspects) for f in fields}, index=suspects, dtype=object)
    for field_name in fields:
        raw = state.raw[field_name]
        trimmed = raw.str.strip()
        positions = suspects[CHECKS[Code.WHITESPACE](raw, trimmed=trimmed)]
        state.add(
            code=Code.WHITESPACE,
            field_name=field_name,
            positions=positions,
            values=state.raw[field_name].reindex(positions).tolist(),
        )
        changed = (raw != trimmed).to_numpy()
        if changed.any():
            _column_set(records, field_name, suspects[changed], trimmed.to_numpy()[changed])
    for field_name in (f for f in fields if f in schema.required):
        mask = state.alive & CHECKS[Code.REQUIRED_BLANK](records[field_name])
        positions = np.flatnonzero(mask)
        state.add(
            code=Code.REQUIRED_BLANK,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
        )
        state.rejected |= mask
    for field_name in (f for f in fields if f in schema.vocabulary_fields):
        vocabulary = vocabularies.vocabulary(field_name)
        positions = np.flatnonzero(state.alive)
        found = CHECKS[Code.INVALID_VALUE](records[field_name].iloc[positions], vocabulary=vocabulary)
        positions = state.listed(Code.INVALID_VALUE, positions[found])
        variants, params = _invalid_hints(state.values(positions, field_name), field_name, vocabularies)
        state.add(
            code=Code.INVALID_VALUE,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
            variant=variants,
            params=params,
        )


def _invalid_hints(values: np.ndarray, field_name: str, vocabularies: Vocabularies) -> tuple[np.ndarray, np.ndarray]:
    """The allowed words and the closest one, once per distinct value (a million rows hold few)."""
    allowed = vocabulary_allowed(field_name, vocabularies, synonyms=False)
    words = vocabulary_words(field_name, vocabularies)

    def hint(value) -> tuple[str, dict]:
        suggestion = closest(str(value), words)
        if suggestion:
            return "closest", {"allowed": allowed, "closest": suggestion}
        return "default", {"allowed": allowed}

    return params_per_value(values, hint)


def records_clean(*, state: FileState, vocabularies: Vocabularies, persisted: np.ndarray) -> pd.DataFrame:
    """The records to persist, one column per spec field plus `line`; takes the columns out of `state`."""
    schema, records = state.schema, state.records
    positions = np.flatnonzero(persisted)
    out: dict[str, object] = {}
    for field_name in schema.fields:
        if field_name not in state.columns:
            out[field_name] = np.full(positions.size, None, dtype=object)
            continue
        column = column_array(records.pop(field_name))  # pop: the working column is freed at once
        if not isinstance(column, pd.Categorical) and field_name not in schema.list_fields | schema.vocabulary_fields:
            values = column[positions]  # the key: nearly one value per record, nothing to share
            if field_name not in schema.required:
                values[values == ""] = None
            out[field_name] = values
            continue
        if isinstance(column, pd.Categorical):
            codes, uniques = column.codes[positions], column.categories.to_numpy(dtype=object)
        else:
            codes, uniques = pd.factorize(column[positions], sort=False)
        # each distinct value is cleaned once; rows share the result (lists are shared read-only)
        if field_name in schema.list_fields:
            cleaned = _objects([_list_split(u) for u in uniques])
        elif field_name in schema.vocabulary_fields:
            vocabulary = vocabularies.vocabulary(field_name)
            cleaned = _objects([vocabulary.get(u.lower(), u) for u in uniques])
        else:
            cleaned = uniques.copy()
        if field_name not in schema.list_fields:
            cleaned[uniques == ""] = None  # a persisted record has no blank required field
        out[field_name] = cleaned[codes] if len(uniques) else np.full(positions.size, None, dtype=object)
    out["line"] = records["line"].to_numpy()[positions].astype(np.int64, copy=False)
    # the arrays are fresh: no copy, and an explicit dtype spares pandas a type-inference pass per column
    return pd.DataFrame(
        {name: pd.Series(values, dtype=values.dtype, copy=False) for name, values in out.items()}, copy=False
    )


def _column_set(records: pd.DataFrame, field_name: str, positions: np.ndarray, values: np.ndarray) -> None:
    """Writes values at positions; a Categorical gets the categories it lacks."""
    column = column_array(records[field_name])
    if not isinstance(column, pd.Categorical):
        records.iloc[positions, records.columns.get_loc(field_name)] = values
        return
    categories = column.categories
    at = categories.get_indexer(values)
    missing = at < 0
    if missing.any():
        new = pd.Index(pd.unique(values[missing]), dtype=object)
        at[missing] = len(categories) + new.get_indexer(values[missing])
        categories = categories.append(new)
    codes = column.codes.astype(np.int32)
    codes[positions] = at
    records[field_name] = pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories))


def _list_split(value: str) -> list[str]:
    return [part.strip() for part in value.split("|") if part.strip()]


def _objects(items: list) -> np.ndarray:
    # element by element: numpy would turn a list of equal-length lists into a 2-D array
    array = np.empty(len(items), dtype=object)
    for position, item in enumerate(items):
        array[position] = item
    return array
