"""What changed between two processed versions of a catalog: records, mappings and anomalies.

Pure pandas (no Django): the versions service computes it once, at processing time, and stores the
rendered JSON and CSV, so that the page only reads a small document. See docs/versions.md.
"""

import csv
import io
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from contract import FORMULA_STARTS, cell_safe
from engine import FILES, SCHEMAS, SEVERITY, Code, PipelineResult
from engine.report import anomalies_rendered

# What a mapping links: when one of these changes, the mapping has moved (the owner only "changed").
MAPPING_LOCATION = (
    "namespace_id",
    "dataset_database_name",
    "dataset_table_name",
    "dataset_column_name",
    "data_point_id",
)
# The text standing for an added or removed record (in `before`/`after`, `field` blank).
RECORD_LABEL = {
    "namespaces": ("namespace_option_name",),
    "datapoints": ("data_point_name",),
    "columns": MAPPING_LOCATION,
}
SECTION_TITLES = {"namespaces": "Namespaces", "datapoints": "Data points", "columns": "Column mappings"}
BOOLEAN_WORDS = {True: "true", False: "false"}
RECORD_CHANGES = ("added", "removed", "moved", "changed")
ANOMALY_CHANGES = ("new", "resolved")
# An anomaly is the same in two versions when these agree: never the line, which shifts as soon as
# a row is added above it. `field` only tells apart what the spec reports once per record and field.
ANOMALY_IDENTITY = ("file", "key", "code", "field")

RECORD_CHANGE_COLUMNS = ("file", "change", "key", "field", "line", "before", "after")
ANOMALY_CHANGE_COLUMNS = ("change", "file", "key", "code", "field", "severity", "line", "value", "message")
# anomalies.csv's message goes into `before` (resolved) or `after` (new)
DIFF_CSV_COLUMNS = ("section", "change", "file", "key", "field", "code", "line", "before", "after")


@dataclass(frozen=True)
class VersionDiff:
    # one row per added/removed record, and one per changed field of a record present in both
    records: pd.DataFrame  # RECORD_CHANGE_COLUMNS; before/after as text (lists joined with "|")
    anomalies: pd.DataFrame  # ANOMALY_CHANGE_COLUMNS; line and message from the version it is in
    codes: pd.DataFrame  # code, severity, before, after: anomalies per code in each version
    summary: dict

    @property
    def empty(self) -> bool:
        return self.records.empty and self.anomalies.empty


def version_diff(*, before: PipelineResult, after: PipelineResult) -> VersionDiff:
    """Compares the persisted records and the anomalies of two versions (either may have failed:
    a failed version has no records, so everything then shows as added or removed)."""
    records = pd.concat(
        [
            _records_diff(file=file, before=before.files[file].records, after=after.files[file].records)
            for file in FILES
        ],
        ignore_index=True,
    )
    anomalies = _anomalies_diff(before=before.anomalies, after=after.anomalies)
    codes = _codes_count(before=before.anomalies, after=after.anomalies)
    return VersionDiff(
        records=records,
        anomalies=anomalies,
        codes=codes,
        summary=_summary(records=records, anomalies=anomalies, before=before, after=after),
    )


def _records_diff(*, file: str, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    schema = SCHEMAS[file]
    fields = [f for f in schema.fields if f != schema.key]
    old_at, new_at = _key_match(before[schema.key].to_numpy(dtype=object), after[schema.key].to_numpy(dtype=object))
    removed = np.flatnonzero(old_at < 0)
    added = np.flatnonzero(new_at < 0)
    kept_old = np.flatnonzero(old_at >= 0)
    kept_new = old_at[kept_old]
    parts = [
        _rows_frame("added", after, added, key=schema.key, after=_label(file=file, rows=after.iloc[added])),
        _rows_frame("removed", before, removed, key=schema.key, before=_label(file=file, rows=before.iloc[removed])),
    ]
    for field in fields:
        # compared as written: a list is None when its column is absent and [] when blank, both blank
        old = field_texts(before[field].to_numpy(dtype=object)[kept_old], file=file, field=field)
        new = field_texts(after[field].to_numpy(dtype=object)[kept_new], file=file, field=field)
        differs = np.asarray(old != new, dtype=bool)  # object arrays: Python's == element by element
        parts.append(
            _rows_frame(
                "changed",
                after,
                kept_new[differs],
                key=schema.key,
                field=field,
                before=old[differs],
                after=new[differs],
            )
        )
    changes = pd.concat(parts, ignore_index=True)
    if file == "columns":
        moved = changes.loc[changes["field"].isin(MAPPING_LOCATION), "key"]
        changes.loc[changes["key"].isin(moved) & changes["change"].eq("changed"), "change"] = "moved"
    changes.insert(0, "file", file)
    order = np.lexsort(
        (
            changes["field"].map({f: i for i, f in enumerate(("", *fields))}).to_numpy(),
            changes["key"].to_numpy(dtype=str),
            changes["change"].map({c: i for i, c in enumerate(RECORD_CHANGES)}).to_numpy(),
        )
    )
    return changes.iloc[order].reset_index(drop=True)[list(RECORD_CHANGE_COLUMNS)]


def _key_match(old: np.ndarray, new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each old key its position among the new ones, and the reverse (-1: absent). One hash pass over
    both sides, no sort: keys are unique within a version's persisted records."""
    codes, uniques = pd.factorize(np.concatenate([old, new]), sort=False)
    old_codes, new_codes = codes[: len(old)], codes[len(old) :]
    new_position = np.full(len(uniques), -1, dtype=np.int64)
    new_position[new_codes] = np.arange(len(new))
    old_position = np.full(len(uniques), -1, dtype=np.int64)
    old_position[old_codes] = np.arange(len(old))
    return new_position[old_codes], old_position[new_codes]


def _rows_frame(
    change: str, records: pd.DataFrame, positions: np.ndarray, *, key: str, field="", before=None, after=None
) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "change": change,
            "key": records[key].to_numpy(dtype=object)[positions],
            "field": field,
            # where the record is in the version that has it (the new one, when in both)
            "line": pd.array(records["line"].to_numpy()[positions], dtype="Int64"),
            "before": before,
            "after": after,
        }
    )


def field_texts(values: np.ndarray, *, file: str, field: str) -> np.ndarray:
    """Values as the steward writes them: lists joined with "|", booleans as true/false, blank as None
    (other fields are strings or None already, and come back as they are)."""
    schema = SCHEMAS[file]
    if field in schema.list_fields:
        lists = pd.Series(values, dtype=object)
        joined = lists.str.join("|") if len(lists) else lists
        return np.where(joined.isna() | joined.eq(""), None, joined).astype(object)
    if field in schema.vocabulary_fields:  # few distinct values: each is spelled once
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        return np.array([*map(_word, uniques), None], dtype=object)[codes]
    return values


def _word(value) -> str:
    return BOOLEAN_WORDS[bool(value)] if isinstance(value, bool | np.bool_) else str(value)


def _label(*, file: str, rows: pd.DataFrame) -> np.ndarray:
    parts = [rows[field].astype(object).fillna("").astype(str) for field in RECORD_LABEL[file]]
    if file != "columns":
        return parts[0].to_numpy(dtype=object)
    namespace, database, table, column, data_point = parts
    path = namespace + " / " + database + " / " + table + " / " + column
    return path.where(data_point.eq(""), path + " → " + data_point).to_numpy(dtype=object)


def _anomalies_diff(*, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """A multiset difference: the n-th copy of an identity in one version matches the n-th in the
    other, so two blank rows becoming three is one new blank-row, wherever the lines went."""
    before, after = _numbered(before), _numbered(after)
    resolved = before[~_matched(before, after)].assign(change="resolved")
    new = after[~_matched(after, before)].assign(change="new")
    changes = pd.concat([new, resolved], ignore_index=True)
    changes["message"] = anomalies_rendered(changes)[0]
    return changes.reindex(columns=list(ANOMALY_CHANGE_COLUMNS)).reset_index(drop=True)


def _numbered(anomalies: pd.DataFrame) -> pd.DataFrame:
    # the frame is sorted by file then line: copies are numbered in line order
    identity = list(ANOMALY_IDENTITY)
    frame = anomalies.copy()
    frame[identity] = frame[identity].astype(object).fillna("")
    frame["occurrence"] = frame.groupby(identity, sort=False, dropna=False).cumcount()
    return frame


def _matched(frame: pd.DataFrame, other: pd.DataFrame) -> np.ndarray:
    on = [*ANOMALY_IDENTITY, "occurrence"]
    found = frame[on].merge(other[on].assign(found=True), on=on, how="left", sort=False)["found"]
    return found.notna().to_numpy()


def _codes_count(*, before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    old, new = before["code"].value_counts(), after["code"].value_counts()
    codes = [code for code in Code if code in old.index or code in new.index]
    return pd.DataFrame(
        {
            "code": [str(code) for code in codes],
            "severity": [str(SEVERITY[code]) for code in codes],
            "before": [int(old.get(code, 0)) for code in codes],
            "after": [int(new.get(code, 0)) for code in codes],
        },
        columns=["code", "severity", "before", "after"],
    )


def _summary(*, records: pd.DataFrame, anomalies: pd.DataFrame, before: PipelineResult, after: PipelineResult) -> dict:
    """Records counted once each, whatever the number of fields that changed."""
    per_record = records.drop_duplicates(["file", "key"]).groupby(["file", "change"]).size()
    summary = {file: {change: int(per_record.get((file, change), 0)) for change in RECORD_CHANGES} for file in FILES}
    for file in ("namespaces", "datapoints"):
        del summary[file]["moved"]
    changes = anomalies["change"].value_counts()
    summary["anomalies"] = {
        **{change: int(changes.get(change, 0)) for change in ANOMALY_CHANGES},
        "before": int(len(before.anomalies)),
        "after": int(len(after.anomalies)),
    }
    summary["versions"] = {
        "before": {"failed": bool(before.failed), "error": before.error},
        "after": {"failed": bool(after.failed), "error": after.error},
    }
    return summary


def diff_dict(diff: VersionDiff, *, limit: int = 500) -> dict:
    """The page's document: the summary, the counts per code, and the first `limit` rows of each
    section with its true total (`truncated` when rows were left out; the CSV holds them all)."""
    records = [
        {
            "file": file,
            "title": SECTION_TITLES[file],
            "counts": diff.summary[file],
            **_rows(diff.records[diff.records["file"].eq(file)].drop(columns="file"), limit=limit),
        }
        for file in FILES
    ]
    return {
        "identical": diff.empty,
        "summary": diff.summary,
        "records": records,
        "anomalies": {"counts": diff.summary["anomalies"], **_rows(diff.anomalies, limit=limit)},
        "codes": [{**row, "difference": row["after"] - row["before"]} for row in _plain(diff.codes)],
        "limit": limit,
    }


def diff_json(diff: VersionDiff, *, limit: int = 500) -> bytes:
    return json.dumps(diff_dict(diff, limit=limit), ensure_ascii=False).encode("utf-8")


def diff_csv(diff: VersionDiff) -> bytes:
    """Every change, one row each; cells that a spreadsheet would run as formulas are escaped."""
    records, anomalies = diff.records, diff.anomalies
    new = anomalies["change"].eq("new").to_numpy(dtype=bool)
    message = anomalies["message"].to_numpy(dtype=object)
    sections = {  # column: (its records part, its anomalies part)
        "section": (records["file"], np.full(len(anomalies), "anomalies", dtype=object)),
        "change": (records["change"], anomalies["change"]),
        "file": (records["file"], anomalies["file"]),
        "key": (records["key"], anomalies["key"]),
        "field": (records["field"], anomalies["field"]),
        "code": (np.full(len(records), "", dtype=object), anomalies["code"]),
        "line": (records["line"], anomalies["line"]),
        "before": (records["before"], np.where(new, None, message)),
        "after": (records["after"], np.where(new, message, None)),
    }
    columns = {}
    for column in DIFF_CSV_COLUMNS:
        values = np.concatenate([np.asarray(part, dtype=object) for part in sections[column]])
        values[pd.isna(values)] = None  # written as an empty cell
        columns[column] = values if column == "line" else _cells_safe(values)
    return csv_text(columns).encode("utf-8")


def _cells_safe(values: np.ndarray) -> np.ndarray:
    """anomalies.csv's escaping, on the few cells that need it (a vectorised test finds them)."""
    risky = pd.Series(values, dtype=object).str.startswith(FORMULA_STARTS, na=False).to_numpy(dtype=bool)
    safe = values.copy()
    safe[risky] = [cell_safe(value) for value in values[risky]]
    return safe


def csv_text(columns: dict[str, np.ndarray]) -> str:
    """The csv module straight from column arrays (a quarter faster than DataFrame.to_csv; None is "").
    CRLF as RFC 4180 says, like anomalies.csv: the writer then also quotes a value holding a lone CR."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows(zip(*columns.values()))
    return out.getvalue()


def _rows(frame: pd.DataFrame, *, limit: int) -> dict:
    return {"total": int(len(frame)), "truncated": len(frame) > limit, "rows": _plain(frame.head(limit))}


def _plain(frame: pd.DataFrame) -> list[dict]:
    """JSON-ready rows: blanks as None, numbers as Python ints."""
    if "line" in frame:
        frame = frame.assign(line=frame["line"].astype("Int64").astype(object))
    return frame.astype(object).where(frame.notna(), None).to_dict("records")
