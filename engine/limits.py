"""Bounds on the work one file may cost, and the checks and anomalies that enforce them.

A hostile file must not cost hours or gigabytes: past a limit, what lies beyond it is not read
(header columns, cells of a line) or not listed (anomalies of one code), and the file gets one
`limit-exceeded` anomaly saying so; a value longer than the field limit rejects its record
(`field-too-large`), which also keeps every document far below MongoDB's 16 MiB.
"""

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .codes import Code, anomaly_frame

# 11 fields of up to this many characters, at up to 4 UTF-8 bytes each, stay below 16 MiB.
FIELD_CHARS_CEILING = 262_144


@dataclass(frozen=True)
class Limits:
    header_columns: int = 1_000  # header cells read; later ones are ignored unread
    line_cells: int = 10_000  # cells of a record parsed; later ones are extra cells, dropped unread
    field_chars: int = 65_536  # a longer value rejects its record
    anomalies_per_code: int = 10_000  # listed per file and code; the rest are only counted
    workbook_bytes: int = 1 << 30  # an .xlsx unpacking to more (by its zip directory) is not opened
    sheet_cells: int = 16_000_000  # a sheet whose used rows times columns pass this is not read

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            if int(getattr(self, name)) < 1:
                raise ValueError(f"limit {name} must be at least 1")
            object.__setattr__(self, name, int(getattr(self, name)))
        if self.field_chars > FIELD_CHARS_CEILING:
            raise ValueError(f"field_chars above {FIELD_CHARS_CEILING:,} would let a record pass MongoDB's 16 MiB")

    @classmethod
    def from_settings(cls, settings: Mapping | None) -> "Limits":
        """From a dict keyed by this class's field names; missing or None values keep the defaults."""
        given = {k: v for k, v in (settings or {}).items() if k in cls.__dataclass_fields__ and v is not None}
        return cls(**given)


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
