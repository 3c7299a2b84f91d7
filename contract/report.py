"""The reports' vocabulary (the spec's "Reports"): the columns of `anomalies.csv`, each anomaly's
status and fingerprint, and the guard that keeps a cell from running as a spreadsheet formula."""

from enum import StrEnum
from hashlib import sha1

# The report's columns: `message` and `fix` are rendered from the catalogue
# (`catalogue.anomaly_render`), `status` set by whoever knows the dataset's earlier versions.
ANOMALY_COLUMNS = ("file", "line", "field", "code", "severity", "value", "message", "fix", "status")
VALUE_MAX = 200  # characters of an anomaly's value kept
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AnomalyStatus(StrEnum):
    NEW = "new"  # the previous done version had no anomaly with this fingerprint (version 1: all)
    KNOWN = "known"  # it had
    ACCEPTED = "accepted"  # a person accepted it


def anomaly_fingerprint(*, file: str, code: str, field: str, key: str = "", line: int | None = None, value: str) -> str:
    """One stable id per anomaly: the SHA-1 (hex) of its file, code, field, the record's key (for
    records that have one; else the line) and value, so the same problem of the same record keeps
    it from version to version whatever line it moves to.

    The hashed text is each of the five parts as `<length in characters>:<text>`, one after the
    other (the key as `k<key>`, a line as `l<line>`, neither as ``): no value can make two
    different anomalies spell the same text. The engine's `anomaly_fingerprints` computes the same
    for a whole frame (tests/engine/test_fingerprints.py holds them equal)."""
    identity = f"k{key}" if key else f"l{int(line)}" if line is not None else ""
    text = "".join(f"{len(part)}:{part}" for part in (file, code, field, identity, value))
    return sha1(text.encode("utf-8")).hexdigest()


def anomaly_group_fingerprint(*, file: str, code: str, field: str, value: str) -> str:
    """One id per group of anomalies (file, code, field and value, whichever record): the
    fingerprint of the same parts with no record identity, so that triage can accept a group and
    every later version's anomalies of it (see docs/anomalies.md, "Groups")."""
    return anomaly_fingerprint(file=file, code=code, field=field, value=value)


def cell_safe(cell) -> str:
    """A report's cell as written: prefixed with `'` when it starts like a formula."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
