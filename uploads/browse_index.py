"""The browse index: small, paged read-model documents built once per dataset with pandas.

Every browse page, search and anomaly list reads one document by `_id`. FerretDB's SQLite
backend (the MongoDB server here) only uses an index for `_id` equality and scans the whole
collection for anything else, so a page over a million column rows must not query by field.
Real MongoDB serves these lookups just as well. No Django import here.
"""

import json
import re
from collections.abc import Iterator

import numpy as np
import pandas as pd

PAGE_SIZE = 50
SEARCH_LIMIT = 200
ANOMALY_FILTERS = ("file", "code", "severity")
_TOKEN = re.compile(r"[0-9a-z]+")


def node_id(dataset_id: str, kind: str, path: list, page: int = 1) -> str:
    return f"{dataset_id}|{kind}|{json.dumps(path, ensure_ascii=False)}|{page}"


def search_tokens(text: str) -> list[str]:
    """Lower-case words of ASCII letters and digits: `Total_Return 1Y` gives `total`, `return`, `1y`."""
    return _TOKEN.findall(text.lower())


def _records(frame: pd.DataFrame) -> list[dict]:
    """`frame.to_dict("records")` with None for missing values, several times faster on big frames."""
    names = list(frame.columns)
    columns = []
    for name in names:
        column = frame[name]
        if column.hasnans:
            column = column.astype(object).where(column.notna(), None)
        columns.append(column.tolist())
    return [dict(zip(names, row)) for row in zip(*columns)]


def _group_bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions of the runs of equal rows in `keys` (a 2-D array, sorted)."""
    changes = np.ones(len(keys), dtype=bool)
    changes[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    starts = np.flatnonzero(changes)
    return starts, np.append(starts[1:], len(keys))


def _nodes(dataset_id: str, kind: str, path: list, items: list[dict], size: int = PAGE_SIZE) -> Iterator[dict]:
    total = len(items)
    pages = max(1, -(-total // size))
    for page in range(1, pages + 1):
        yield {
            "_id": node_id(dataset_id, kind, path, page),
            "dataset_id": dataset_id,
            "kind": kind,
            "path": path,
            "page": page,
            "pages": pages,
            "total": total,
            "items": items[(page - 1) * size : page * size],
        }


def _grouped_nodes(
    dataset_id: str, kind: str, frame: pd.DataFrame, keys: list[str], size: int = PAGE_SIZE
) -> Iterator[dict]:
    """One paged node per distinct value of `keys`; `frame` must be sorted by `keys` already."""
    if frame.empty:
        return
    records = _records(frame.drop(columns=keys))
    key_values = frame[keys].to_numpy()
    for start, end in zip(*_group_bounds(key_values)):
        yield from _nodes(dataset_id, kind, [str(v) for v in key_values[start]], records[start:end], size)


def _columns_frame(columns: pd.DataFrame, datapoints: pd.DataFrame) -> pd.DataFrame:
    frame = columns[
        ["namespace_id", "dataset_database_name", "dataset_table_name", "dataset_column_name",
         "column_id", "data_point_id", "dataset_owner_name", "line"]
    ].rename(columns={"dataset_database_name": "database", "dataset_table_name": "table",
                      "dataset_column_name": "column", "dataset_owner_name": "owner"})
    names = datapoints.set_index("data_point_id")[["data_point_name", "data_type"]]
    return frame.join(names, on="data_point_id")


def _mapping_lists(mappings: pd.DataFrame, path: list[str]) -> list[list[dict]]:
    """The mappings of each physical column, in the order `groupby(path, sort=False)` yields them."""
    fields = ["column_id", "data_point_id", "data_point_name", "data_type", "owner", "line"]
    records = _records(mappings[fields])
    return [records[start:end] for start, end in zip(*_group_bounds(mappings[path].to_numpy()))]


def browse_nodes_build(*, dataset_id: str, records: dict[str, pd.DataFrame], anomalies: pd.DataFrame) -> Iterator[dict]:
    """Yields every node of the dataset's browse index."""
    namespaces, datapoints = records["namespaces"], records["datapoints"]
    columns = _columns_frame(records["columns"], datapoints)
    path = ["namespace_id", "database", "table", "column"]

    per_namespace = columns.groupby("namespace_id").agg(
        databases=("database", "nunique"), columns=("column_id", "size"))
    top = namespaces[["namespace_id", "namespace_option_name"]].join(per_namespace, on="namespace_id")
    top[["databases", "columns"]] = top[["databases", "columns"]].fillna(0).astype(int)
    yield from _nodes(dataset_id, "namespaces", [], _records(top.sort_values("namespace_id")))

    databases = (columns.groupby(path[:2]).agg(tables=("table", "nunique"), rows=("column_id", "size"))
                 .reset_index().rename(columns={"database": "name"}))
    yield from _grouped_nodes(dataset_id, "databases", databases, path[:1])

    tables = (columns.groupby(path[:3]).agg(columns=("column", "nunique"), rows=("column_id", "size"))
              .reset_index().rename(columns={"table": "name"}))
    yield from _grouped_nodes(dataset_id, "tables", tables, path[:2])

    # A physical column carries its mappings: one page of a table then serves the column level too.
    mappings = columns.sort_values([*path, "line"])
    physical = (mappings.groupby(path, sort=False)
                .agg(datapoints=("data_point_id", "nunique"), rows=("column_id", "size")).reset_index())
    physical["mappings"] = _mapping_lists(mappings, path)
    physical = physical.rename(columns={"column": "name"})
    yield from _grouped_nodes(dataset_id, "columns", physical, path[:3])

    usages = columns[columns["data_point_id"].notna()].sort_values(["data_point_id", *path])[
        ["data_point_id", "column_id", *path, "owner"]]
    yield from _grouped_nodes(dataset_id, "usages", usages, ["data_point_id"])


    yield from _anomaly_nodes(dataset_id, anomalies)
    yield from _search_nodes(dataset_id, datapoints, columns)


def _anomaly_nodes(dataset_id: str, anomalies: pd.DataFrame) -> Iterator[dict]:
    """Anomaly pages for every combination of the file / code / severity filters (blank = all)."""
    if anomalies.empty:
        yield from _nodes(dataset_id, "anomalies", ["", "", ""], [])
        return
    frame = anomalies[["file", "line", "field", "code", "severity", "value", "message"]].copy()
    frame["line"] = frame["line"].astype(object).where(frame["line"].notna(), None)
    frame["position"] = np.arange(len(frame))
    for mask in range(2 ** len(ANOMALY_FILTERS)):
        used = [name for bit, name in enumerate(ANOMALY_FILTERS) if mask >> bit & 1]
        keyed = frame.copy()
        for name in ANOMALY_FILTERS:
            keyed[f"by_{name}"] = keyed[name] if name in used else ""
        keys = [f"by_{name}" for name in ANOMALY_FILTERS]
        keyed = keyed.sort_values([*keys, "position"], kind="stable").drop(columns="position")
        yield from _grouped_nodes(dataset_id, "anomalies", keyed, keys)
    per_line = frame[frame["file"] == "datapoints"].dropna(subset=["line"]).sort_values(["line", "position"])
    per_line = per_line.drop(columns="position").assign(line_key=lambda f: f["line"].astype(int))
    yield from _grouped_nodes(dataset_id, "record_anomalies", per_line.drop(columns=["file"]), ["line_key"])


def _token_frame(text: pd.Series, payload: pd.DataFrame) -> pd.DataFrame:
    exploded = text.fillna("").str.lower().str.findall(_TOKEN.pattern).explode().dropna()
    return payload.loc[exploded.index].assign(token=exploded.to_numpy())


def _search_nodes(dataset_id: str, datapoints: pd.DataFrame, columns: pd.DataFrame) -> Iterator[dict]:
    """Word → matching data points and physical columns, the first SEARCH_LIMIT of each per word."""
    dp_payload = datapoints[["data_point_id", "data_point_name", "data_type"]].assign(kind="datapoint")
    dp_text = [datapoints[field] for field in
               ("data_point_id", "data_point_name", "data_point_standard_name", "data_point_definition")]
    physical = columns.drop_duplicates(["namespace_id", "database", "table", "column"])
    col_payload = physical[["namespace_id", "database", "table", "column"]].assign(kind="column")
    col_text = [physical[field] for field in ("database", "table", "column")]
    parts = [_token_frame(text, dp_payload) for text in dp_text] + [_token_frame(text, col_payload) for text in col_text]
    hits = pd.concat(parts, ignore_index=False)
    hits["order"] = hits.index
    hits = hits.drop_duplicates(["token", "kind", "order"]).sort_values(["token", "kind", "order"])
    per_kind = hits.groupby(["token", "kind"], sort=False)["order"].transform("size")
    limited_tokens = set(hits.loc[per_kind > SEARCH_LIMIT, "token"])
    hits = hits.groupby(["token", "kind"], sort=False).head(SEARCH_LIMIT).drop(columns="order")
    tokens = hits["token"].to_numpy()
    records = _records(hits.drop(columns="token"))
    for start, end in zip(*_group_bounds(tokens.reshape(-1, 1))):
        token = tokens[start]
        items = [{k: v for k, v in item.items() if v is not None} for item in records[start:end]]
        yield {
            "_id": node_id(dataset_id, "search", [token]),
            "dataset_id": dataset_id,
            "kind": "search",
            "path": [token],
            "page": 1,
            "pages": 1,
            "total": len(items),
            "limited": token in limited_tokens,
            "items": items,
        }
