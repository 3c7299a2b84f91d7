"""The one shape every anomaly takes, and the registry of checks (codes and severities live in the
contract's catalogue, statuses and fingerprints in `contract.report`)."""

from collections.abc import Callable
from hashlib import sha1

import numpy as np
import pandas as pd

from contract import SEVERITY, VALUE_MAX, Code

Check = Callable[..., np.ndarray]

# The frame the engine returns keeps values, not prose: for each anomaly, besides where it is and
# its value, the `key` of the record it is about ("" for file- and header-level anomalies, and for
# records whose key is blank), the `variant` of its code's message and the `params` it is rendered
# from, and its `fingerprint` (see `anomaly_fingerprints`).
ANOMALY_FRAME_COLUMNS = (
    *("file", "line", "field", "code", "severity", "value"),
    *("key", "variant", "params", "fingerprint"),
)


def anomaly_frame(
    *, file: str, code: Code, lines, values, variant="default", params=None, field: str = "", keys=""
) -> pd.DataFrame:
    """Anomalies of one code on one field; `lines`/`values`/`variant`/`params`/`keys` are scalars
    (a dict for `params`) or equal-length sequences.

    `params` holds the values a message and fix are rendered from, as a column of small dicts, not
    a few typed columns: the values differ per code and variant (an earlier line, a suggestion, a
    frequent value and its count, a reference's target, limits), so typed columns would be mostly
    empty and each new variant would add a column to the frame, the stored document, the browse
    index and the API; a dict goes through all of them as it is. It stays cheap because the checks
    build one dict per distinct value, not per row, and rows share it (`params_per_value`; a value
    of the row's own, a duplicate's earlier line or a length, is one dict per anomaly, bounded by the
    per-code listing limit): treat params as read-only."""
    lines = pd.array(lines if pd.api.types.is_list_like(lines) else [lines], dtype="Int64")
    n = len(lines)
    values = pd.Series(values if pd.api.types.is_list_like(values) else [values] * n, dtype=object)
    return pd.DataFrame(
        {
            "file": file,
            "line": lines,
            "field": field,
            "code": str(code),
            "severity": str(SEVERITY[code]),
            "value": values.fillna("").astype(str).str.slice(0, VALUE_MAX).to_numpy(),
            "key": keys if isinstance(keys, str) else pd.Series(keys, dtype=object).fillna("").astype(str).to_numpy(),
            "variant": variant if isinstance(variant, str) else np.asarray(variant, dtype=object),
            "params": _shared(params or {}, n) if params is None or isinstance(params, dict) else _objects(params),
        },
        index=range(n),
    )


def params_per_value(values, make: Callable[[object], tuple[str, dict]]) -> tuple[np.ndarray, np.ndarray]:
    """The variant and params of each row from `make(value)`, called once per distinct value (a
    million rows hold few); rows of one value share its dict."""
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), sort=False)
    built = [make(value) for value in uniques]
    variants = np.array([variant for variant, _ in built], dtype=object)
    params = _objects([params for _, params in built])
    if not len(uniques):
        return np.empty(0, dtype=object), np.empty(0, dtype=object)
    return variants[codes], params[codes]


def _shared(item: dict, n: int) -> np.ndarray:
    array = np.empty(n, dtype=object)
    array.fill(item)
    return array


def _objects(items) -> np.ndarray:
    # element by element: numpy would try to read a list of dicts as something else
    array = np.empty(len(items), dtype=object)
    for position, item in enumerate(items):
        array[position] = item
    return array


def anomaly_fingerprints(anomalies: pd.DataFrame) -> np.ndarray:
    """`contract.anomaly_fingerprint` of every anomaly of a frame (the same parts, the same text,
    the same hash; tests/engine/test_fingerprints.py holds them equal). The text is built with
    pandas' string operations, the same in every pandas version; only the hashing itself is one
    call per anomaly."""
    if anomalies.empty:
        return np.empty(0, dtype=object)
    line = anomalies["line"].astype("Int64")
    key = anomalies["key"].fillna("").astype(str)
    line_text = ("l" + line.astype(str)).where(line.notna(), "")
    identity = ("k" + key).where(key != "", line_text)
    parts = [anomalies[name].fillna("").astype(str) for name in ("file", "code", "field")]
    parts += [identity, anomalies["value"].fillna("").astype(str)]
    text = pd.Series("", index=anomalies.index, dtype=object)
    for part in parts:
        text = text + part.str.len().astype(str) + ":" + part
    return np.fromiter((sha1(t.encode("utf-8")).hexdigest() for t in text), dtype=object, count=len(text))


def anomaly_group_fingerprints(anomalies: pd.DataFrame) -> np.ndarray:
    """`contract.anomaly_group_fingerprint` of every anomaly of a frame: the fingerprint of the same
    parts with no record identity."""
    return anomaly_fingerprints(anomalies.assign(key="", line=pd.array([None] * len(anomalies), dtype="Int64")))


def anomalies_empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="Int64" if c == "line" else object) for c in ANOMALY_FRAME_COLUMNS})


def check_registry() -> tuple[dict[Code, Check], Callable[[Code], Callable[[Check], Check]]]:
    """A stage's checks by code, and the decorator that registers one: each check is a small
    vectorised function returning a boolean mask over the records."""
    checks: dict[Code, Check] = {}

    def check(code: Code) -> Callable[[Check], Check]:
        def register(function: Check) -> Check:
            checks[code] = function
            return function

        return register

    return checks, check
