"""The data spec restated for the ground truth: files, fields, keys, vocabularies, the near-duplicate rule
and the fingerprint of an anomaly."""

from __future__ import annotations

import hashlib
import re

# The spec restated here on purpose, not imported from engine: the ground truth must not
# share the engine's mistakes.
FILES = ("namespaces", "datapoints", "columns")
FIELDS = {
    "namespaces": ("namespace_id", "namespace_option_name", "namespace_option_standard_name"),
    "datapoints": (
        "data_point_id",
        "data_point_name",
        "data_point_standard_name",
        "approved_abbreviations",
        "data_point_definition",
        "applicable_data_universes",
        "applicable_domicile",
        "data_type",
        "data_point_possible_values",
        "is_derived",
        "methodology_reference",
    ),
    "columns": (
        "column_id",
        "namespace_id",
        "dataset_database_name",
        "dataset_table_name",
        "dataset_column_name",
        "data_point_id",
        "dataset_owner_name",
    ),
}
REQUIRED = {
    "namespaces": ("namespace_id", "namespace_option_name"),
    "datapoints": ("data_point_id", "data_point_name", "data_type"),
    "columns": ("column_id", "namespace_id", "dataset_database_name", "dataset_table_name", "dataset_column_name"),
}
KEY = {"namespaces": "namespace_id", "datapoints": "data_point_id", "columns": "column_id"}
VOCABULARIES = {
    "data_type": frozenset(
        [
            *("string", "integer", "decimal", "boolean", "date", "datetime", "percentage", "currency", "enum"),
            *("text", "int", "float", "double", "number", "numeric", "bool", "timestamp"),
        ]
    ),
    "is_derived": frozenset(["true", "t", "yes", "y", "1", "false", "f", "no", "n", "0"]),
}
CATEGORICAL = ("dataset_database_name", "dataset_owner_name")
VARIANTS = (None, "file-empty", "file-not-csv", "header-missing-column")
EXPECTED_COLUMNS = ["file", "line", "field", "code"]


def fingerprint(*, file: str, code: str, field: str, key: str, line: int | None, value: str) -> str:
    """The spec's fingerprint: file, code, field, the record's key (for records that have one;
    else the line) and value. Written as docs/anomalies.md says: each part as `<length>:<text>`,
    the key as `k<key>`, a line as `l<line>`, neither as nothing; SHA-1, hex."""
    identity = f"k{key}" if key else (f"l{line}" if line is not None else "")
    text = "".join(f"{len(part)}:{part}" for part in (file, code, field, identity, value))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def fold(value: str) -> str:
    return re.sub(r"[\s_\-.]", "", value.casefold())


def _one_edit_apart(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance exactly 1: one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1 :]
    if a[i + 1 :] == b[i + 1 :]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]


def similar(v: str, w: str) -> bool:
    return v != w and (fold(v) == fold(w) or (_one_edit_apart(v, w) and min(len(v), len(w)) >= 5))
