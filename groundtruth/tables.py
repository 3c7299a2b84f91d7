"""The logical content of a file before a dialect is applied: the cells of every record and the header layout."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .content import NOTES, UNKNOWN_HEADERS, objects
from .spec import FIELDS, KEY


@dataclass
class Column:
    header: str  # header cell as written
    field: str | None  # spec field read from this column; None when ignored
    role: str = "field"  # "field" | "unknown" | "duplicate"
    duplicate_of: str | None = None  # spec field a duplicate column names again
    cells: np.ndarray | None = None  # cells of an ignored column


@dataclass
class Table:
    name: str
    values: dict[str, np.ndarray]  # raw cell text per spec field, one entry per record
    layout: list[Column] = field(default_factory=list)
    ncells: np.ndarray | None = None  # cells written per record, extra cells included
    extras: dict[int, list[str]] = field(default_factory=dict)
    blanks: dict[int, list[str]] = field(default_factory=dict)  # blank lines written before record i
    blanks_at_end: list[str] = field(default_factory=list)  # blank lines after the last record
    delimiter: str = ","
    broken: str | None = None  # file-level variant applied to this file
    broken_detail: str | None = None  # the missing field, or how the file is not CSV

    @property
    def size(self) -> int:
        return len(self.values[KEY[self.name]])

    def positions(self) -> dict[str, int]:
        return {c.field: p for p, c in reversed(list(enumerate(self.layout))) if c.field is not None}

    def cells(self, position: int) -> np.ndarray:
        column = self.layout[position]
        return column.cells if column.field is None else self.values[column.field]


def table_prepare(rng, name, values, header_style, header_anomalies, delimiter) -> Table:
    unknown, duplicate = header_anomalies.get(name, (False, False))
    n = len(values[KEY[name]])
    table = Table(name, values, delimiter=delimiter)
    table.layout = _layout_build(rng, name, n, header_style, unknown=bool(unknown), duplicate=bool(duplicate))
    table.ncells = np.full(n, len(table.layout))
    return table


def _header_spell(rng: np.random.Generator, name: str) -> str:
    style = rng.integers(0, 4)
    text = (name.upper(), name.title(), name, "".join(c.upper() if rng.random() < 0.5 else c for c in name))[style]
    return " " * int(rng.integers(0, 3)) + text + " " * int(rng.integers(0, 3))


def _layout_build(
    rng: np.random.Generator, name: str, n: int, header_style: str, *, unknown: bool, duplicate: bool
) -> list[Column]:
    shuffled = header_style == "shuffled"
    fields = list(FIELDS[name])
    if shuffled:
        fields = [fields[k] for k in rng.permutation(len(fields))]
    layout = [Column(_header_spell(rng, f) if shuffled else f, f) for f in fields]
    if duplicate:
        twice = fields[int(rng.integers(0, len(fields)))]
        after = fields.index(twice) + 1
        at = int(rng.integers(after, len(layout) + 1)) if shuffled else len(layout)
        layout.insert(
            at, Column(_header_spell(rng, twice) if shuffled else twice.upper(), None, "duplicate", twice)
        )  # cells copied once the values are final
    if unknown:
        header = UNKNOWN_HEADERS[int(rng.integers(0, len(UNKNOWN_HEADERS)))]
        at = int(rng.integers(0, len(layout) + 1)) if shuffled else len(layout)
        cells = objects(NOTES)[rng.integers(0, len(NOTES), n)]
        layout.insert(at, Column(_header_spell(rng, header) if shuffled else header, None, "unknown", None, cells))
    return layout


def duplicate_columns_fill(rng: np.random.Generator, table: Table) -> None:
    """A duplicate column repeats the field's final cells, some changed: ignored, it must count nowhere."""
    for column in table.layout:
        if column.role == "duplicate":
            cells = table.values[column.duplicate_of].copy()
            changed = rng.random(table.size) < 0.2
            cells[changed] = objects(NOTES)[rng.integers(0, len(NOTES), int(changed.sum()))]
            column.cells = cells
