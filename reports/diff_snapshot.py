"""A version's records and anomalies as one compact file, so that the next version can be compared
with it without reading the earlier records back from MongoDB (pure pandas; no pickle is ever loaded).

A zip of CSV files: one per file of the dataset (its records, one column per spec field + `line`),
`anomalies.csv` (the engine's frame, `key` included, `params` as JSON) and `version.json` (status and counts).
"""

import io
import json
import zipfile
from dataclasses import fields

import numpy as np
import pandas as pd

from engine import FILES, SCHEMAS, FileResult, PipelineResult
from engine.codes import ANOMALY_FRAME_COLUMNS

from .diff import BOOLEAN_WORDS, csv_text, field_texts

FORMAT = 1
# Stored as a boolean, says the spec; written as BOOLEAN_WORDS
BOOLEAN_FIELDS = frozenset({"is_derived"})
BOOLEANS = {word: value for value, word in BOOLEAN_WORDS.items()}
FILE_COUNTS = tuple(field.name for field in fields(FileResult) if field.name not in ("name", "records"))


def version_snapshot(result: PipelineResult) -> bytes:
    out = io.BytesIO()
    # level 1: the CSV shrinks about sevenfold already, higher levels cost far more time than they save
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in FILES:
            records = result.files[name].records
            columns = {
                field: field_texts(records[field].to_numpy(dtype=object), file=name, field=field)
                for field in SCHEMAS[name].fields
            }
            archive.writestr(f"{name}.csv", csv_text({**columns, "line": records["line"].to_numpy()}))
        anomalies = result.anomalies.reindex(columns=list(ANOMALY_FRAME_COLUMNS))
        columns = {column: anomalies[column].to_numpy(dtype=object) for column in ANOMALY_FRAME_COLUMNS}
        columns["line"] = anomalies["line"].astype(object).where(anomalies["line"].notna(), None).to_numpy()
        columns["params"] = np.array([json.dumps(p if isinstance(p, dict) else {}) for p in anomalies["params"]])
        archive.writestr("anomalies.csv", csv_text(columns))
        version = {
            "format": FORMAT,
            "failed": result.failed,
            "error": result.error,
            "files": {
                name: {count: getattr(file, count) for count in FILE_COUNTS} for name, file in result.files.items()
            },
        }
        archive.writestr("version.json", json.dumps(version))
    return out.getvalue()


def version_snapshot_load(data: bytes) -> PipelineResult:
    """The snapshot as a PipelineResult whose records and anomalies compare with a fresh one's."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        version = json.loads(archive.read("version.json"))
        if version.get("format") != FORMAT:
            raise ValueError(f"unknown snapshot format {version.get('format')!r}")
        files = {
            name: FileResult(name=name, records=_records_read(archive, name), **version["files"][name])
            for name in FILES
        }
        anomalies = _csv_read(archive, "anomalies.csv")
    anomalies["line"] = pd.to_numeric(anomalies["line"], errors="coerce").astype("Int64")  # "" for file-*
    anomalies["params"] = anomalies["params"].map(json.loads)
    return PipelineResult(failed=version["failed"], error=version["error"], anomalies=anomalies, files=files)


def _csv_read(archive: zipfile.ZipFile, member: str) -> pd.DataFrame:
    with archive.open(member) as source:
        return pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False)


def _records_read(archive: zipfile.ZipFile, name: str) -> pd.DataFrame:
    schema = SCHEMAS[name]
    frame = _csv_read(archive, f"{name}.csv")
    out = {}
    for field in schema.fields:
        texts = frame[field].to_numpy(dtype=object)
        if field in schema.list_fields | schema.vocabulary_fields:
            # few distinct values: each is turned back once and the rows share it, as the engine does
            codes, uniques = pd.factorize(texts)
            values = np.empty(len(uniques), dtype=object)
            if field in schema.list_fields:
                values[:] = [text.split("|") if text else [] for text in uniques]
            else:
                values[:] = [BOOLEANS.get(text, text) if field in BOOLEAN_FIELDS else text for text in uniques]
                values[uniques == ""] = None
            out[field] = values[codes] if len(uniques) else np.empty(0, dtype=object)
        else:
            out[field] = np.where(texts == "", None, texts).astype(object)
    out["line"] = frame["line"].to_numpy(dtype=np.int64)
    return pd.DataFrame({field: pd.Series(values, dtype=values.dtype) for field, values in out.items()})
