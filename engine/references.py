"""Reference checks: a `columns` record must name a persisted namespace and, when given, data point."""

import numpy as np
import pandas as pd

from .catalogue import Severity, message
from .codes import Code, check_registry
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
        state.add(
            code=Code.UNKNOWN_REFERENCE,
            field_name=field_name,
            positions=positions,
            values=state.raw_values(positions, field_name),
            message=_unknown_messages(state.values(positions, field_name), target, rejected[target]),
        )
        found[positions] = True
    state.rejected |= found


def _unknown_messages(values: np.ndarray, target: str, rejected: pd.DataFrame) -> list[str]:
    """Says where a named record is when it exists but was rejected; one lookup per distinct value."""
    codes, uniques = pd.factorize(values, sort=False)
    where = rejected.reindex(uniques)
    texts = [
        message(Code.UNKNOWN_REFERENCE, target=target)
        if pd.isna(line)
        else message(Code.UNKNOWN_REFERENCE, "rejected", value=value, target=target, line=int(line), rejected_code=code)
        for value, line, code in zip(uniques, where["line"], where["code"])
    ]
    return list(np.asarray(texts, dtype=object)[codes]) if len(uniques) else []
