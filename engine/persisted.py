"""Checks over what is persisted: unused namespaces and data points, near-duplicate categorical values."""

import re
from collections import defaultdict

import numpy as np
import pandas as pd
from rapidfuzz.distance import DamerauLevenshtein

from contract import Code

from .codes import check_registry, params_per_value
from .read import FileState

CHECKS, check = check_registry()
NEAR_RATIO = 3  # W must be used by at least this many times as many records as V
NEAR_MIN_LENGTH = 5  # for a variant by one edit, both values are at least this long
_IGNORED = re.compile(r"[\s_\-.]")


@check(Code.UNUSED_RECORD)
def unused_record(keys: pd.Series, *, used: pd.Index) -> np.ndarray:
    return (~keys.isin(used)).to_numpy()


@check(Code.NEAR_DUPLICATE)
def near_duplicate(values: pd.Series, *, variants: dict[str, tuple[str, int]]) -> np.ndarray:
    return values.isin(pd.Index(list(variants))).to_numpy()


def unused_check(*, state: FileState, used: pd.Index) -> None:
    persisted = np.flatnonzero(state.persisted())
    keys = state.records[state.schema.key].iloc[persisted]
    unused = CHECKS[Code.UNUSED_RECORD](keys, used=used)
    state.add(
        code=Code.UNUSED_RECORD,
        positions=persisted[unused],
        values=keys[unused].tolist(),
    )


def near_duplicate_check(*, state: FileState) -> None:
    persisted = np.flatnonzero(state.persisted())
    for field_name in state.schema.categorical_fields:
        if field_name not in state.columns:
            continue
        values = state.records[field_name].iloc[persisted]
        counts = values.value_counts()
        counts = counts[(counts > 0) & (counts.index != "")]  # a Categorical counts every category, used or not
        variants = variants_find(dict(zip(counts.index, counts.to_numpy().tolist())))
        if not variants:
            continue
        found = CHECKS[Code.NEAR_DUPLICATE](values, variants=variants)
        positions = state.listed(Code.NEAR_DUPLICATE, persisted[found])
        _, params = params_per_value(
            state.values(positions, field_name),
            lambda v, variants=variants: ("default", {"frequent": variants[v][0], "count": int(variants[v][1])}),
        )
        state.add(
            code=Code.NEAR_DUPLICATE,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
            params=params,
        )


def variants_find(counts: dict[str, int]) -> dict[str, tuple[str, int]]:
    """Distinct value V -> (W, uses of W) for every V that is a rarer variant of a more frequent W."""
    # most frequent first, ties by the smaller value: the first W that qualifies is the one to name
    ranked = sorted(counts, key=lambda v: (-counts[v], v))
    rank = {v: i for i, v in enumerate(ranked)}
    by_form: dict[str, list[str]] = defaultdict(list)
    by_deletion: dict[str, list[str]] = defaultdict(list)
    for value in ranked:
        by_form[_form(value)].append(value)
        if len(value) >= NEAR_MIN_LENGTH:
            for key in _deletions(value):
                by_deletion[key].append(value)
    variants: dict[str, tuple[str, int]] = {}
    for value in ranked:
        needed = NEAR_RATIO * counts[value]
        if counts[ranked[0]] < needed:
            continue
        candidates = set(by_form[_form(value)])
        if len(value) >= NEAR_MIN_LENGTH:
            for key in _deletions(value):
                candidates.update(w for w in by_deletion[key] if DamerauLevenshtein.distance(value, w) == 1)
        qualifying = [w for w in candidates if w != value and counts[w] >= needed]
        if qualifying:
            best = min(qualifying, key=rank.get)
            variants[value] = (best, counts[best])
    return variants


def _form(value: str) -> str:
    return _IGNORED.sub("", value.casefold())


def _deletions(value: str) -> set[str]:
    # strings one edit apart share one of these (checked exactly afterwards)
    return {value} | {value[:i] + value[i + 1 :] for i in range(len(value))}
