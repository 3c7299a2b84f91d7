"""Reference checks: a `columns` record must name a persisted namespace and, when given, data point."""

import numpy as np
import pandas as pd

from .codes import Code, check_registry
from .read import FileState

CHECKS, check = check_registry()


@check(Code.UNKNOWN_REFERENCE)
def unknown_reference(values: pd.Series, *, known: pd.Index) -> np.ndarray:
    # blank optional references name nothing (required ones never get here blank)
    return ((values != "") & ~values.isin(known)).to_numpy()


def references_check(*, state: FileState, known: dict[str, pd.Index]) -> None:
    """`known`: file name -> keys persisted in it."""
    records = state.records
    reached = np.flatnonzero(state.persisted())
    found = np.zeros(len(records), dtype=bool)
    for field_name, target in state.schema.reference_fields.items():
        if field_name not in state.columns:
            continue
        unknown = CHECKS[Code.UNKNOWN_REFERENCE](records[field_name].iloc[reached], known=known[target])
        positions = reached[unknown]
        state.add(
            code=Code.UNKNOWN_REFERENCE,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
            message=f"names no persisted record of {target}; record rejected",
        )
        found[positions] = True
    state.rejected |= found
