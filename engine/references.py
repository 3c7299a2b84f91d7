"""Reference checks: a `columns` record must name a persisted namespace and, when given, data point."""

import numpy as np
import pandas as pd

from contract import Code, Severity

from .codes import check_registry, params_per_value
from .read import FileState

CHECKS, check = check_registry()


@check(Code.UNKNOWN_REFERENCE)
def unknown_reference(values: pd.Series, *, known: pd.Index) -> np.ndarray:
    # blank optional references name nothing (required ones never get here blank)
    return ((values != "") & ~values.isin(known)).to_numpy()


def rejected_keys(state: FileState) -> pd.DataFrame:
    """Keys of the records an error rejected, indexed by key: the line and code of the first such error."""
    frames = [frame[frame["severity"] == str(Severity.ERROR)] for frame in state.anomalies]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return pd.DataFrame({"line": pd.Series(dtype="Int64"), "code": pd.Series(dtype=object)})
    errors = pd.concat(frames, ignore_index=True)
    errors = errors[errors["key"] != ""].sort_values("line", kind="stable")
    return errors.drop_duplicates("key").set_index("key")[["line", "code"]]


def references_check(*, state: FileState, known: dict[str, pd.Index], rejected: dict[str, pd.DataFrame]) -> None:
    """`known`: file name -> keys persisted in it; `rejected`: file name -> `rejected_keys` of it."""
    records = state.records
    reached = np.flatnonzero(state.persisted())
    found = np.zeros(len(records), dtype=bool)
    for field_name, target in state.schema.reference_fields.items():
        if field_name not in state.columns:
            continue
        unknown = CHECKS[Code.UNKNOWN_REFERENCE](records[field_name].iloc[reached], known=known[target])
        positions = reached[unknown]
        listed = state.listed(Code.UNKNOWN_REFERENCE, positions)
        variants, params = _unknown_hints(state.values(listed, field_name), target, rejected[target])
        state.add(
            code=Code.UNKNOWN_REFERENCE,
            field_name=field_name,
            positions=listed,
            values=state.raw_values(listed, field_name),
            variant=variants,
            params=params,
        )
        found[positions] = True
    state.rejected |= found


def _unknown_hints(values: np.ndarray, target: str, rejected: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The file a reference names and, when the record it names was rejected, that record's line
    and the code that rejected it; one lookup per distinct value."""
    plain = {"target": target}  # shared by every reference to nothing

    def hint(value) -> tuple[str, dict]:
        if value not in rejected.index:
            return "default", plain
        line, code = rejected.at[value, "line"], rejected.at[value, "code"]
        return "rejected", {"target": target, "line": int(line), "rejected_code": str(code)}

    return params_per_value(values, hint)
