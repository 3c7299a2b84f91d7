"""What the engine's tests share: anomalies as plain tuples, and one file run through the first stages."""

import pandas as pd

from contract import Vocabularies
from engine.codes import anomalies_empty
from engine.keys import keys_check
from engine.read import FileState, file_read
from engine.report import anomalies_rendered
from engine.structure import structure_check
from engine.values import values_check

BRIEF = ("file", "line", "field", "code")
WITH_VALUE = (*BRIEF, "value")
STAGES = {"structure": 1, "values": 2, "keys": 3}


def anomaly_tuples(anomalies: pd.DataFrame | list[pd.DataFrame], columns=BRIEF, *, by_line=False) -> list[tuple]:
    """Anomalies (a frame, or a file state's list of frames) as tuples of `columns`; the line as an
    int, or None at file level. `by_line` sorts them as the run does (stages append in check order)."""
    if isinstance(anomalies, list):
        anomalies = pd.concat(anomalies) if anomalies else anomalies_empty()
    if by_line:
        anomalies = anomalies.sort_values("line", kind="stable")
    return [
        tuple(
            None if name == "line" and pd.isna(value) else int(value) if name == "line" else value
            for name, value in zip(columns, row)
        )
        for row in anomalies[list(columns)].itertuples(index=False)
    ]


def with_messages(anomalies: pd.DataFrame) -> pd.DataFrame:
    """The frame with each anomaly's rendered `message` and `fix` (as the report writes them)."""
    messages, fixes = anomalies_rendered(anomalies)
    return anomalies.assign(message=messages, fix=fixes)


def file_checked(
    name: str, data: str | bytes, *, through: str = "keys", vocabularies: Vocabularies | None = None
) -> FileState:
    """One file read and checked up to a stage (`structure`, `values` or `keys`), as `pipeline_run` does."""
    state = file_read(name=name, data=data if isinstance(data, bytes) else data.encode())
    structure_check(state=state)
    if STAGES[through] >= STAGES["values"]:
        values_check(state=state, vocabularies=vocabularies or Vocabularies())
    if STAGES[through] >= STAGES["keys"]:
        keys_check(state=state)
    return state
