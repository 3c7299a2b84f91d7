"""Injecting anomalies at known places: record-level kinds, bad references, near-duplicates, broken files."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .content import INVALID_VALUES, NOTES, PADDINGS
from .spec import FIELDS, FILES, KEY, REQUIRED, fold
from .tables import Table

NAMESPACE_KINDS = (
    "whitespace",
    "required-blank",
    "missing-cell",
    "extra-cell",
    "duplicate-row",
    "duplicate-key",
    "blank-row",
    "unused-record",
    "silent-blank",
    "delimiters-only",
)
DATAPOINT_KINDS = NAMESPACE_KINDS + ("invalid-value",)
COLUMN_KINDS = (
    "whitespace",
    "required-blank",
    "missing-cell",
    "extra-cell",
    "duplicate-row",
    "duplicate-key",
    "blank-row",
    "silent-blank",
    "unknown-namespace",
    "unknown-datapoint",
    "unknown-both",
    "rejected-namespace",
    "rejected-datapoint",
    "near-database-case",
    "near-database-edit",
    "near-owner-case",
    "near-owner-edit",
    "delimiters-only",
    "key-case",
    "near-boundary",
    "orphan-reference",
)
# Rare values at the edges of the near-duplicate rule, in groups: `FXDB` (1) vs `fxdb` (3) is one; `fxdc`
# is one edit from `fxdb` but shorter than 5; `Index Managment` (1) vs `Index Management` (2) is under 3x.
BOUNDARY_VALUES = (
    [("dataset_owner_name", "Treasury Operations")] * 3
    + [("dataset_owner_name", "treasury operations")]
    + [("dataset_owner_name", "Index Management")] * 2
    + [("dataset_owner_name", "Index Managment")]
    + [("dataset_database_name", "fxdb")] * 3
    + [("dataset_database_name", "FXDB"), ("dataset_database_name", "fxdc")]
)


def _pad(rng: np.random.Generator, value: str) -> str:
    left, right = PADDINGS[int(rng.integers(0, len(PADDINGS)))], PADDINGS[int(rng.integers(0, len(PADDINGS)))]
    side = int(rng.integers(0, 3))  # left, right or both
    return (left if side != 1 else "") + value + (right if side != 0 else "") if value else value


def _whitespace(rng, table: Table, i: int) -> None:
    v = table.values
    filled = [f for f in FIELDS[table.name] if v[f][i]]
    for f in rng.choice(filled, size=min(len(filled), int(rng.integers(1, 3))), replace=False):
        v[f][i] = _pad(rng, v[f][i]) if v[f][i] == v[f][i].strip() else v[f][i]
        if f == "data_point_definition" and rng.random() < 0.5:  # pasted with its line end
            v[f][i] = v[f][i].rstrip(" \t\u00a0") + "\n"


def _silent_blank(rng, table: Table, i: int) -> None:  # whitespace only in an optional field: blank, no anomaly
    optional = [f for f in FIELDS[table.name] if f not in REQUIRED[table.name]]
    table.values[optional[int(rng.integers(0, len(optional)))]][i] = ("   ", " ", "\t ")[int(rng.integers(0, 3))]


def _required_blank(rng, table: Table, i: int) -> None:
    required = list(REQUIRED[table.name])
    if table.name != "columns" and rng.random() < 0.7:
        required.remove(KEY[table.name])  # keep the key, so that a column can still name it
    for f in rng.choice(required, size=1 + int(rng.random() < 0.3 and len(required) > 1), replace=False):
        table.values[f][i] = ("", "  ")[int(rng.integers(0, 2))]


def _missing_cell(rng, table: Table, i: int) -> None:
    table.ncells[i] = int(rng.integers(2, len(table.layout)))


def _extra_cell(rng, table: Table, i: int) -> None:
    table.extras[i] = [NOTES[int(rng.integers(0, len(NOTES)))] for _ in range(int(rng.integers(1, 3)))]
    table.ncells[i] = len(table.layout) + len(table.extras[i])


def _blank_row(rng, table: Table, i: int) -> None:  # a tab is whitespace, but not in a tab-separated file
    ends = not table.blanks_at_end and rng.random() < 0.3  # e.g. a spreadsheet's trailing empty rows
    (table.blanks_at_end if ends else table.blanks.setdefault(i, [])).extend(
        [
            ("", "  ", "", " \t ")[int(rng.integers(0, 3 + (table.delimiter != "\t")))]
            for _ in range(int(rng.integers(1, 3)))
        ]
    )


def _delimiters_only(rng, table: Table, i: int) -> None:  # a spreadsheet's empty row: cells, all blank
    for f in FIELDS[table.name]:
        table.values[f][i] = ""


def _invalid_value(rng, table: Table, i: int) -> None:
    f = ("data_type", "is_derived")[int(rng.integers(0, 2))]
    choices = INVALID_VALUES[f]
    table.values[f][i] = choices[int(rng.integers(0, len(choices)))]


def _duplicate(rng, table: Table, i: int, kind: str, touched: np.ndarray, by_kind: dict[str, list[int]]) -> None:
    v = table.values
    clean = np.flatnonzero(~touched[:i])
    j = int(clean[rng.integers(0, len(clean))])
    if kind == "duplicate-row" and by_kind.get("duplicate-key") and rng.random() < 0.3:
        j = by_kind["duplicate-key"][-1]  # a copy of a key conflict is a duplicate row (docs/pipeline.md)
    elif rng.random() < 0.2:
        j = int(rng.integers(0, i))  # a copy of whatever came before, anomalies included
    for f in FIELDS[table.name]:
        v[f][i] = v[f][j]
    if kind == "duplicate-key":
        changed = {
            "namespaces": "namespace_option_name",
            "datapoints": "data_point_name",
            "columns": "dataset_column_name",
        }[table.name]
        v[changed][i] = v[changed][j] + (" (legacy)" if table.name != "columns" else "_old")
    if rng.random() < 0.3:  # trimming makes it the same value: a whitespace anomaly besides
        key = KEY[table.name]
        v[key][i] = _pad(rng, v[key][i])
    if kind == "duplicate-row" and rng.random() < 0.2:  # dropped extra cells do not count
        table.extras[i] = [NOTES[int(rng.integers(0, len(NOTES)))]]
        table.ncells[i] = len(table.layout) + 1


# The anomalies every table can carry; a table's own (`handlers`) come from its module.
_INJECTORS = {
    "whitespace": _whitespace,
    "silent-blank": _silent_blank,
    "required-blank": _required_blank,
    "missing-cell": _missing_cell,
    "extra-cell": _extra_cell,
    "blank-row": _blank_row,
    "delimiters-only": _delimiters_only,
    "invalid-value": _invalid_value,
}


def inject(
    rng: np.random.Generator, table: Table, kinds: tuple[str, ...], rate: float, protected: np.ndarray, handlers: dict
) -> dict[str, np.ndarray]:
    """Give `rate` of the records (at least one per kind) an anomaly; return the rows per kind."""
    n = table.size
    if rate <= 0:
        return {}
    candidates = np.setdiff1d(np.arange(1, n), protected)
    count = min(len(candidates), max(len(kinds), int(round(rate * n))))
    rows = np.sort(rng.choice(candidates, size=count, replace=False))
    assigned = np.array(kinds, dtype=object)[rng.permutation(count) % len(kinds)]
    touched = np.zeros(n, dtype=bool)
    touched[rows] = True
    by_kind: dict[str, list[int]] = {}
    for i, kind in zip(rows.tolist(), assigned.tolist()):
        by_kind.setdefault(kind, []).append(i)
        if kind in _INJECTORS:
            _INJECTORS[kind](rng, table, i)
        elif kind in ("duplicate-row", "duplicate-key"):
            _duplicate(rng, table, i, kind, touched, by_kind)
        elif kind in handlers:
            handlers[kind](i)
        # "unused-record" needs nothing here: the columns simply never name the record.
    return {kind: np.array(rows_, dtype=int) for kind, rows_ in by_kind.items()}


def column_handlers(rng, table: Table, rejected_ids, unused_ids) -> dict:  # noqa: C901 - mccabe adds up the small closures
    v = table.values
    fake = iter(range(1, 10**9))
    variants: dict[str, str] = {}
    boundary = iter(BOUNDARY_VALUES * (table.size // len(BOUNDARY_VALUES) + 1))

    def near_boundary(i):
        field_, value = next(boundary)
        v[field_][i] = value

    def orphan_reference(i):  # names an unused record, but is rejected: the record stays unused
        field_ = ("namespace_id", "data_point_id")[int(rng.integers(0, 2))]
        ids = unused_ids["namespaces" if field_ == "namespace_id" else "datapoints"]
        if ids:
            v[field_][i] = ids[int(rng.integers(0, len(ids)))]
        if rng.random() < 0.5:
            v["dataset_table_name"][i] = ""
        elif field_ == "namespace_id":
            unknown_datapoint(i)
        else:
            unknown_namespace(i)

    def unknown_namespace(i):
        if rng.random() < 0.3:  # references match exactly: another case names nothing
            v["namespace_id"][i] = v["namespace_id"][i].lower()
        else:
            v["namespace_id"][i] = f"NS{9 * 10**5 + next(fake)}"

    def key_case(i):  # keys compare case-sensitively: a new key, persisted without anomaly
        v["column_id"][i] = v["column_id"][i].lower()

    def unknown_datapoint(i):
        v["data_point_id"][i] = f"DP{9 * 10**7 + next(fake)}"

    def rejected(field_, target, fallback):
        def handler(i):
            ids = rejected_ids[target]
            if ids:
                v[field_][i] = ids[int(rng.integers(0, len(ids)))]
            else:
                fallback(i)

        return handler

    def near(field_, kind):
        def handler(i):
            key = f"{field_}-{kind}"
            if key not in variants:
                names = pd.Series(v[field_]).value_counts()
                common = next(n for n in names.index if n)
                variants[key] = (_variant_case if kind == "case" else _variant_edit)(rng, common)
            v[field_][i] = variants[key]

        return handler

    return {
        "unknown-namespace": unknown_namespace,
        "unknown-datapoint": unknown_datapoint,
        "unknown-both": lambda i: (unknown_namespace(i), unknown_datapoint(i)),
        "key-case": key_case,
        "near-boundary": near_boundary,
        "orphan-reference": orphan_reference,
        "rejected-namespace": rejected("namespace_id", "namespaces", unknown_namespace),
        "rejected-datapoint": rejected("data_point_id", "datapoints", unknown_datapoint),
        "near-database-case": near("dataset_database_name", "case"),
        "near-database-edit": near("dataset_database_name", "edit"),
        "near-owner-case": near("dataset_owner_name", "case"),
        "near-owner-edit": near("dataset_owner_name", "edit"),
    }


def _variant_case(rng: np.random.Generator, value: str) -> str:
    words = re.split(r"[\s_]+", value)
    options = [
        "_".join(w.title() for w in words),
        value.upper(),
        "-".join(words),
        ".".join(words),
        " ".join(w.title() for w in words),
        "".join(words),
        value.lower(),
    ]
    options = [o for o in options if o != value]
    return options[int(rng.integers(0, len(options)))]


def _variant_edit(rng: np.random.Generator, value: str) -> str:
    """One swap, deletion or substitution between letters, so that folding does not undo it."""
    while True:
        k = int(rng.integers(1, len(value) - 2))
        a, b = value[k], value[k + 1]
        if not (a.isalpha() and b.isalpha() and a != b):
            continue
        edit = int(rng.integers(0, 3))
        out = (
            value[:k] + b + a + value[k + 2 :],
            value[:k] + value[k + 1 :],
            value[:k] + ("x" if a != "x" else "z") + value[k + 1 :],
        )[edit]
        if fold(out) != fold(value):
            return out


def variant_apply(rng, tables: dict[str, Table], variant: str) -> None:
    table = tables[FILES[int(rng.integers(0, 3))]]
    table.broken = variant
    if variant == "file-not-csv":
        table.broken_detail = ("binary", "open-quote")[int(rng.integers(0, 2))]
    if variant == "header-missing-column":
        table.broken_detail = missing = REQUIRED[table.name][int(rng.integers(0, len(REQUIRED[table.name])))]
        keep = [k for k, c in enumerate(table.layout) if missing not in (c.field, c.duplicate_of)]
        table.layout = [table.layout[k] for k in keep]
        table.ncells = np.minimum(table.ncells, len(table.layout))
