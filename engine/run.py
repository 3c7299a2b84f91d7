"""`pipeline_run`: the spec's stages over the three files, in order, with progress and counts."""

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from contract import FILES, SCHEMAS, Limits, Progress, Stage, Vocabularies

from .codes import ANOMALY_FRAME_COLUMNS, anomalies_empty, anomaly_fingerprints
from .keys import keys_check
from .limits import field_size_check, limit_anomalies
from .memory import memory_release
from .persisted import near_duplicate_check, unused_check
from .read import FileState, column_array, file_unreadable
from .references import references_check, rejected_keys
from .structure import structure_check
from .values import records_clean, values_check
from .workbook import one_workbook, upload_read

logger = logging.getLogger(__name__)


@dataclass
class FileResult:
    name: str
    records: pd.DataFrame  # one column per spec field + "line"; empty when the dataset failed
    rows_read: int = 0
    rows_persisted: int = 0
    rows_rejected: int = 0
    rows_duplicate: int = 0
    # Beyond the spec's counts, for people: records rejected by their own errors (also when the
    # dataset failed, where the spec counts every record not persisted as rejected), records a
    # header error left unread, and how the file was written.
    rows_with_errors: int = 0
    rows_unread: int = 0
    dialect: dict = field(default_factory=dict)


@dataclass
class PipelineResult:
    failed: bool
    error: str | None
    anomalies: pd.DataFrame
    files: dict[str, FileResult]
    # file -> code -> anomalies found past the per-code limit and not listed
    omitted: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        """The anomaly report leaves something out: a limit was passed (see `limit-exceeded`)."""
        return any(self.omitted.values()) or bool(
            len(self.anomalies) and (self.anomalies["code"] == "limit-exceeded").any()
        )


def pipeline_run(
    *,
    files: Mapping[str, bytes],
    vocabularies: Vocabularies | None = None,
    limits: Limits | None = None,
    progress: Progress | None = None,
) -> PipelineResult:
    """Never raises for any input: a file that cannot be read or checked becomes `file-not-csv`."""
    vocabularies = vocabularies or Vocabularies()
    limits = limits or Limits()
    report = progress or (lambda stage, fraction: None)
    states: dict[str, FileState] = {}
    whole = one_workbook(files)
    for done, name in enumerate(FILES):
        report(Stage.READING, done / len(FILES))
        states[name] = upload_read(name=name, data=bytes(files.get(name) or b""), limits=limits, whole_dataset=whole)
        memory_release()
    report(Stage.READING, 1)

    checked = [s for s in states.values() if s.error is None]
    for done, state in enumerate(checked):
        report(Stage.CHECKING, 0.6 * done / len(checked))
        try:
            structure_check(state=state)
            field_size_check(state=state)
            values_check(state=state, vocabularies=vocabularies)
            keys_check(state=state)
        except Exception as error:  # a case the engine does not know: logged, the file refused, never raised
            logger.exception("%s could not be checked", state.name)
            states[state.name] = file_unreadable(state, error)
        memory_release()
    errors = [s.error for s in states.values() if s.error]
    failed = bool(errors)
    if not failed:
        try:
            _cross_file_check(states, report)
        except Exception as error:
            logger.exception("the files could not be checked against each other")
            failed, errors = True, [f"the files could not be checked against each other ({type(error).__name__})"]
    for state in states.values():  # every anomaly is written: the raw record texts are no longer needed
        state.texts = state.raw = None
    memory_release()
    report(Stage.CHECKING, 0.9)

    results = {name: _file_result(states[name], failed=failed, vocabularies=vocabularies) for name in FILES}
    for state in states.values():
        state.anomalies.extend(
            limit_anomalies(
                name=state.name, notes=state.limit_notes, omitted=state.omitted, limit=limits.anomalies_per_code
            )
        )
    anomalies = _anomalies_sorted([frame for name in FILES for frame in states[name].anomalies])
    omitted = {name: {str(code): n for code, n in states[name].omitted.items()} for name in FILES}
    report(Stage.CHECKING, 1)
    return PipelineResult(
        failed=failed, error="; ".join(errors) or None, anomalies=anomalies, files=results, omitted=omitted
    )


def _cross_file_check(states: dict[str, FileState], report: Progress) -> None:
    """References, then what is persisted: only when no file failed."""
    report(Stage.CHECKING, 0.6)
    namespaces, datapoints, columns = (states[name] for name in FILES)
    targets = ("namespaces", "datapoints")
    references_check(
        state=columns,
        known={name: _persisted_keys(states[name]) for name in targets},
        rejected={name: rejected_keys(states[name]) for name in targets},
    )
    memory_release()
    report(Stage.CHECKING, 0.8)
    for name, field_name in (("namespaces", "namespace_id"), ("datapoints", "data_point_id")):
        unused_check(state=states[name], used=_persisted_values(columns, field_name))
    near_duplicate_check(state=columns)


def _persisted_keys(state: FileState) -> pd.Index:
    return pd.Index(state.values(np.flatnonzero(state.persisted()), state.schema.key))


def _persisted_values(state: FileState, field_name: str) -> pd.Index:
    if field_name not in state.columns:
        return pd.Index([])
    column = column_array(state.records[field_name])
    if isinstance(column, pd.Categorical):  # its distinct codes name the values
        used = np.bincount(column.codes[state.persisted()], minlength=len(column.categories))
        return pd.Index(column.categories.take(np.flatnonzero(used)))
    return pd.Index(pd.unique(column[state.persisted()]))


def _file_result(state: FileState, *, failed: bool, vocabularies: Vocabularies) -> FileResult:
    empty = pd.DataFrame(
        {**{f: pd.Series(dtype=object) for f in state.schema.fields}, "line": pd.Series(dtype=np.int64)}
    )
    if state.records is None or state.alive is None:
        # only file or header anomalies: no record was read
        return FileResult(name=state.name, records=empty, rows_unread=state.records_found, dialect=state.dialect)
    read = int(state.alive.sum())
    duplicate = int(state.duplicate.sum())
    with_errors = int(np.count_nonzero(state.alive & state.rejected))
    if failed:
        return FileResult(
            name=state.name,
            records=empty,
            rows_read=read,
            rows_rejected=read - duplicate,
            rows_duplicate=duplicate,
            rows_with_errors=with_errors,
            dialect=state.dialect,
        )
    persisted = state.persisted()
    records = records_clean(state=state, vocabularies=vocabularies, persisted=persisted)
    return FileResult(
        name=state.name,
        records=records,
        rows_read=read,
        rows_persisted=int(persisted.sum()),
        rows_rejected=int(state.rejected.sum()),
        rows_duplicate=duplicate,
        rows_with_errors=with_errors,
        dialect=state.dialect,
    )


def _anomalies_sorted(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """File order, then line (file-level first); checks ran in spec order, so a stable sort keeps
    it. Each gets its fingerprint here, once every frame is in."""
    if not frames:
        return anomalies_empty()
    anomalies = pd.concat(frames, ignore_index=True)
    anomalies["fingerprint"] = anomaly_fingerprints(anomalies)
    file_rank = anomalies["file"].map({name: i for i, name in enumerate(FILES)}).to_numpy()
    line = anomalies["line"].fillna(0).to_numpy(dtype=np.int64)
    order = np.lexsort((line, file_rank))
    return anomalies.iloc[order].reset_index(drop=True)[list(ANOMALY_FRAME_COLUMNS)]


__all__ = ["FileResult", "Limits", "PipelineResult", "pipeline_run", "SCHEMAS"]
