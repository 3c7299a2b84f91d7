"""Structure checks: blank lines, and records with fewer or more cells than the header."""

import numpy as np
import pandas as pd

from contract import Code

from .codes import check_registry, params_per_value
from .read import FileState

CHECKS, check = check_registry()


@check(Code.BLANK_ROW)
def blank_row(records: pd.DataFrame, *, header_width: int) -> np.ndarray:
    return records["blank"].to_numpy()


@check(Code.MISSING_CELL)
def missing_cell(records: pd.DataFrame, *, header_width: int) -> np.ndarray:
    return ~records["blank"].to_numpy() & (records["cells"].to_numpy() < header_width)


@check(Code.EXTRA_CELL)
def extra_cell(records: pd.DataFrame, *, header_width: int) -> np.ndarray:
    return ~records["blank"].to_numpy() & (records["cells"].to_numpy() > header_width)


def structure_check(*, state: FileState) -> None:
    """Marks blank records as gone; a missing cell is already blank and an extra one was never read."""
    records, width = state.records, state.header_width
    for code, function in CHECKS.items():
        positions = state.listed(code, np.flatnonzero(function(records, header_width=width)))
        cells = records["cells"].to_numpy()[positions]
        if code == Code.BLANK_ROW:
            state.add(code=code, positions=positions)
            continue
        # few distinct cell counts: one params dict each
        _, params = params_per_value(cells, lambda c: ("default", {"cells": int(c), "width": int(width)}))
        state.add(code=code, positions=positions, params=params)
    state.alive = ~records["blank"].to_numpy()
    state.rejected = np.zeros(len(records), dtype=bool)
    state.duplicate = np.zeros(len(records), dtype=bool)
