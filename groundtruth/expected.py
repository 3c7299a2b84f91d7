"""Deriving what the pipeline must report, stage by stage, from the cells the generator placed."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .content import objects
from .spec import CATEGORICAL, EXPECTED_COLUMNS, FIELDS, FILES, KEY, REQUIRED, VOCABULARIES, similar
from .tables import Table
from .workbook import has_extra_value


@dataclass
class _Checked:
    frame: pd.DataFrame  # trimmed values of the fields present
    anomalies: list[tuple[np.ndarray, str, str]]  # (record mask, field, code)
    duplicate: np.ndarray  # dropped as duplicate rows
    kept: np.ndarray  # passed the key stage
    # code -> for each record, the position of the earlier record it repeats (duplicate-row: all
    # values, duplicate-key: the key); meaningful where that code's mask is set
    earlier: dict[str, np.ndarray]


def check_through_keys(table: Table, *, sheet: bool = False) -> _Checked:
    """`sheet`: the table was written as a sheet, where a row has no length of its own: no missing
    cell, and an extra cell only where a cell past the header holds a value."""
    n, width, positions = table.size, len(table.layout), table.positions()
    ncells = table.ncells
    if sheet:
        anomalies = [(np.zeros(n, dtype=bool), "", "missing-cell"), (has_extra_value(table), "", "extra-cell")]
    else:
        anomalies = [(ncells < width, "", "missing-cell"), (ncells > width, "", "extra-cell")]
    trimmed: dict[str, np.ndarray] = {}
    rejected = np.zeros(n, dtype=bool)
    for f in FIELDS[table.name]:
        if f not in positions:
            continue
        raw = np.where(ncells > positions[f], table.values[f], "").astype(object)
        codes, uniques = pd.factorize(raw)
        unique_values = objects([u.strip() for u in uniques])
        value = unique_values[codes]
        trimmed[f] = value
        filled = (unique_values != "")[codes]
        padded = np.array([u != u.strip() for u in uniques], dtype=bool)[codes]
        anomalies.append((padded & filled, f, "whitespace"))
        if f in REQUIRED[table.name]:
            anomalies.append((~filled, f, "required-blank"))
            rejected |= ~filled
        if f in VOCABULARIES:
            outside = np.array([u.lower() not in VOCABULARIES[f] for u in unique_values], dtype=bool)[codes]
            anomalies.append((filled & outside, f, "invalid-value"))
    frame = pd.DataFrame(trimmed)
    reached = ~rejected
    duplicate = np.zeros(n, dtype=bool)
    duplicate[reached] = frame[reached].duplicated(keep="first").to_numpy()
    candidates = reached & ~duplicate
    key_clash = np.zeros(n, dtype=bool)
    key_clash[candidates] = frame.loc[candidates, KEY[table.name]].duplicated(keep="first").to_numpy()
    anomalies += [(duplicate, "", "duplicate-row"), (key_clash, KEY[table.name], "duplicate-key")]
    earlier = {
        "duplicate-row": _first_of(frame, reached, list(frame.columns)),
        "duplicate-key": _first_of(frame, candidates, [KEY[table.name]]),
    }
    return _Checked(frame, anomalies, duplicate, candidates & ~key_clash, earlier)


def _first_of(frame: pd.DataFrame, among: np.ndarray, columns: list[str]) -> np.ndarray:
    """For each record of `among`, the position of the first record of `among` with the same `columns`."""
    first = np.full(len(frame), -1, dtype=np.int64)
    rows = frame[among]
    if len(rows):
        positions = pd.Series(np.flatnonzero(among), index=rows.index)
        first[among] = positions.groupby([rows[c] for c in columns], sort=False).transform("first").to_numpy()
    return first


def _file_anomalies(
    name: str, table: Table, *, encoding_failed: bool, header_line: int, sheet: bool
) -> tuple[list[tuple], bool]:
    """The file and header anomalies of one file, and whether its records are read at all."""
    # a workbook that cannot be opened has no header to read either
    if table.broken == "file-empty" or table.broken_detail == "binary" or (sheet and table.broken == "file-not-csv"):
        return [(name, None, "", table.broken)], False
    rows: list[tuple] = []
    if encoding_failed:
        rows.append((name, None, "", "file-encoding"))
    for column in table.layout:
        if column.role == "unknown":
            rows.append((name, header_line, column.header.strip(), "header-unknown-column"))
        elif column.role == "duplicate":
            rows.append((name, header_line, column.duplicate_of, "header-duplicate-column"))
    # A file that fails at file level reports only its file and header anomalies (docs/pipeline.md).
    if table.broken == "file-not-csv":  # the header read, then a quote left open at the end
        rows.append((name, None, "", table.broken))
        return rows, False
    if table.broken == "header-missing-column":
        rows.append((name, header_line, table.broken_detail, "header-missing-column"))
        return rows, False
    return rows, True


def _counts(tables: dict[str, Table], checked: dict, persisted: dict, *, failed: bool) -> dict[str, dict[str, int]]:
    counts = {}
    for name in FILES:
        if name not in checked:  # a file failing at file level has no record read
            counts[name] = {"rows_read": 0, "rows_persisted": 0, "rows_rejected": 0, "rows_duplicate": 0}
            continue
        read, duplicate = tables[name].size, int(checked[name].duplicate.sum())
        kept = 0 if failed else int(persisted[name].sum())
        counts[name] = {
            "rows_read": read,
            "rows_persisted": kept,
            "rows_rejected": read - kept - duplicate,
            "rows_duplicate": duplicate,
        }
    return counts


def expected_compute(
    tables: dict[str, Table],
    lines: dict[str, np.ndarray],
    blank_lines: dict[str, list[int]],
    encoding_failed: dict[str, bool],
    *,
    header_line: int = 1,
    sheet: bool = False,
) -> tuple[pd.DataFrame, dict, str, dict]:
    """The anomalies, the counts, the status, and the values some anomalies must carry (keyed by
    file, line, field and code): the earlier line a duplicate repeats, the file a bad reference
    names, the frequent value a near-duplicate is a variant of and its uses. `header_line`: 2 after
    a `sep=` line; `sheet`: the files are sheets of workbooks."""
    failed = any(t.broken for t in tables.values())
    parts: list[pd.DataFrame] = []
    rows: list[tuple] = []
    checked: dict[str, _Checked] = {}
    for name in FILES:
        table = tables[name]
        file_rows, records_read = _file_anomalies(
            name, table, encoding_failed=encoding_failed[name], header_line=header_line, sheet=sheet
        )
        rows += file_rows
        if not records_read:
            continue
        rows += [(name, line, "", "blank-row") for line in blank_lines[name]]
        checked[name] = check_through_keys(table, sheet=sheet)
        for mask, f, code in checked[name].anomalies:
            parts.append(_anomalies_at(name, lines[name], mask, f, code))
    persisted = {name: c.kept.copy() for name, c in checked.items()}
    values: dict[tuple, dict] = {}
    for name, c in checked.items():
        for mask, f, code in c.anomalies:
            if code in c.earlier:
                for at in np.flatnonzero(mask):
                    values[(name, int(lines[name][at]), f, code)] = {"line": int(lines[name][c.earlier[code][at]])}
    if not failed:
        parts += _references_check(checked, lines, persisted, values)
    counts = _counts(tables, checked, persisted, failed=failed)
    parts.append(pd.DataFrame(rows, columns=EXPECTED_COLUMNS))
    expected = pd.concat(parts, ignore_index=True)
    expected["line"] = expected["line"].astype("Int64")
    expected["order"] = expected["file"].map({name: k for k, name in enumerate(FILES)})
    expected = expected.sort_values(["order", "line", "field", "code"], na_position="first", kind="stable")
    expected = expected.drop(columns="order").reset_index(drop=True)
    return expected, counts, "failed" if failed else "done", values


def _anomalies_at(name: str, lines: np.ndarray, mask: np.ndarray, field_: str, code: str) -> pd.DataFrame:
    at = lines[np.flatnonzero(mask)]
    return pd.DataFrame({"file": name, "line": at, "field": field_, "code": code}, columns=EXPECTED_COLUMNS)


def _references_check(
    checked: dict[str, _Checked], lines: dict[str, np.ndarray], persisted: dict[str, np.ndarray], values: dict
) -> list[pd.DataFrame]:
    columns = checked["columns"]
    parts = []
    refs = {"namespace_id": "namespaces", "data_point_id": "datapoints"}
    unknown_any = np.zeros(len(columns.kept), dtype=bool)
    for ref, target in refs.items():
        known = set(checked[target].frame.loc[persisted[target], KEY[target]])
        named = columns.frame[ref] if ref in columns.frame else pd.Series("", index=columns.frame.index)
        unknown = columns.kept & (named != "").to_numpy() & ~named.isin(known).to_numpy()
        parts.append(_anomalies_at("columns", lines["columns"], unknown, ref, "unknown-reference"))
        values.update(
            {("columns", int(line), ref, "unknown-reference"): {"target": target} for line in lines["columns"][unknown]}
        )
        unknown_any |= unknown
    persisted["columns"] = columns.kept & ~unknown_any
    for ref, target in refs.items():
        if ref not in columns.frame:
            continue
        used = set(columns.frame.loc[persisted["columns"], ref])
        ids = checked[target].frame[KEY[target]]
        unused = persisted[target] & ~ids.isin(used).to_numpy()
        parts.append(_anomalies_at(target, lines[target], unused, "", "unused-record"))
    for f in CATEGORICAL:
        if f not in columns.frame:
            continue
        values_ = columns.frame[f]
        counts = values_[persisted["columns"] & (values_ != "").to_numpy()].value_counts()
        # the value a variant is named after: the most used qualifying one, ties to the smaller
        named = {}
        for v, n in counts.items():
            qualifying = [(-m, w) for w, m in counts.items() if similar(v, w) and m >= 3 * n]
            if qualifying:
                uses, w = min(qualifying)
                named[v] = {"frequent": w, "count": -uses}
        near = persisted["columns"] & values_.isin(list(named)).to_numpy()
        parts.append(_anomalies_at("columns", lines["columns"], near, f, "near-duplicate"))
        for at in np.flatnonzero(near):
            values[("columns", int(lines["columns"][at]), f, "near-duplicate")] = named[values_.iloc[at]]
    return parts
