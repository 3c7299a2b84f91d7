"""Structure checks: blank lines, and records with fewer or more cells than the header."""

import numpy as np
import pandas as pd

from .catalogue import message
from .codes import Code, check_registry
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
        # few distinct cell counts: one message each
        texts = {c: message(code, cells=c, width=width) for c in set(cells.tolist())}
        state.add(code=code, positions=positions, message=[texts[c] for c in cells.tolist()])
    state.alive = ~records["blank"].to_numpy()
    state.rejected = np.zeros(len(records), dtype=bool)
    state.duplicate = np.zeros(len(records), dtype=bool)
