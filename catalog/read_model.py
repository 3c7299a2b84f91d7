"""The browse index: small, paged read-model documents built once per version with pandas.

Every browse page, search and anomaly list reads one document by `_id`. FerretDB's SQLite
backend (the MongoDB server here) only uses an index for `_id` equality and scans the whole
collection for anything else, so a page over a million column rows must not query by field.
Real MongoDB serves these lookups just as well. No Django import here.
"""

import json
from collections.abc import Iterator

import numpy as np
import pandas as pd

from catalog.search_index import search_nodes_build
from engine.codes import ANOMALY_FRAME_COLUMNS

PAGE_SIZE = 50
ANOMALY_FILTERS = ("file", "code", "severity")


def node_id(kind: str, path: list, page: int = 1) -> str:
    return f"{kind}|{json.dumps(path, ensure_ascii=False)}|{page}"


class _Rows:
    """The columns of a frame as plain lists, to build dicts for a slice of rows at a time:
    a million rows never become a million dicts at once. Missing values become None."""

    def __init__(self, frame: pd.DataFrame):
        self.names = list(frame.columns)
        self.columns = []
        for name in self.names:
            column = frame[name]
            if column.hasnans:
                column = column.astype(object).where(column.notna(), None)
            self.columns.append(column.tolist())

    def dicts(self, start: int = 0, end: int | None = None) -> list[dict]:
        return [dict(zip(self.names, row)) for row in zip(*(column[start:end] for column in self.columns))]


def _group_bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions of the runs of equal rows in `keys` (a 2-D array, sorted)."""
    changes = np.ones(len(keys), dtype=bool)
    changes[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    starts = np.flatnonzero(changes)
    return starts, np.append(starts[1:], len(keys))


def _nodes(kind: str, path: list, items: list[dict], size: int = PAGE_SIZE) -> Iterator[dict]:
    total = len(items)
    pages = max(1, -(-total // size))
    for page in range(1, pages + 1):
        yield {
            "_id": node_id(kind, path, page),
            "kind": kind,
            "path": path,
            "page": page,
            "pages": pages,
            "total": total,
            "items": items[(page - 1) * size : page * size],
        }


def _grouped_nodes(kind: str, frame: pd.DataFrame, keys: list[str], size: int = PAGE_SIZE) -> Iterator[dict]:
    """One paged node per distinct value of `keys`; `frame` must be sorted by `keys` already."""
    if frame.empty:
        return
    rows = _Rows(frame.drop(columns=keys))
    key_values = frame[keys].to_numpy()
    for start, end in zip(*_group_bounds(key_values)):
        yield from _nodes(kind, [str(v) for v in key_values[start]], rows.dicts(start, end), size)


def _columns_frame(columns: pd.DataFrame, datapoints: pd.DataFrame) -> pd.DataFrame:
    frame = columns[
        [
            "namespace_id",
            "dataset_database_name",
            "dataset_table_name",
            "dataset_column_name",
            "column_id",
            "data_point_id",
            "dataset_owner_name",
            "line",
        ]
    ].rename(
        columns={
            "dataset_database_name": "database",
            "dataset_table_name": "table",
            "dataset_column_name": "column",
            "dataset_owner_name": "owner",
        }
    )
    names = datapoints.set_index("data_point_id")[["data_point_name", "data_type"]]
    return frame.join(names, on="data_point_id")


def _column_nodes(columns: pd.DataFrame, path: list[str]) -> Iterator[dict]:
    """A table's physical columns, each carrying its mappings (so one page also serves the
    column level): built one table at a time."""
    mappings = columns.sort_values([*path, "line"])
    rows = _Rows(mappings[["column_id", "data_point_id", "data_point_name", "data_type", "owner", "line"]])
    data_point_ids = rows.columns[1]
    starts, ends = _group_bounds(mappings[path].to_numpy())
    tables = mappings[path[:3]].to_numpy()[starts]
    names = mappings["column"].to_numpy()[starts]
    for first, last in zip(*_group_bounds(tables)):
        items = [
            {
                "name": names[physical],
                "datapoints": len({dp for dp in data_point_ids[starts[physical] : ends[physical]] if dp is not None}),
                "rows": int(ends[physical] - starts[physical]),
                "mappings": rows.dicts(starts[physical], ends[physical]),
            }
            for physical in range(first, last)
        ]
        yield from _nodes("columns", [str(v) for v in tables[first]], items)


def browse_nodes_build(*, records: dict[str, pd.DataFrame], anomalies: pd.DataFrame) -> Iterator[dict]:
    """Yields every node of a version's browse index."""
    namespaces, datapoints = records["namespaces"], records["datapoints"]
    columns = _columns_frame(records["columns"], datapoints)
    path = ["namespace_id", "database", "table", "column"]

    per_namespace = columns.groupby("namespace_id").agg(
        databases=("database", "nunique"), columns=("column_id", "size")
    )
    top = namespaces[["namespace_id", "namespace_option_name"]].join(per_namespace, on="namespace_id")
    top[["databases", "columns"]] = top[["databases", "columns"]].fillna(0).astype(int)
    yield from _nodes("namespaces", [], _Rows(top.sort_values("namespace_id")).dicts())

    databases = (
        columns.groupby(path[:2])
        .agg(tables=("table", "nunique"), rows=("column_id", "size"))
        .reset_index()
        .rename(columns={"database": "name"})
    )
    yield from _grouped_nodes("databases", databases, path[:1])

    tables = (
        columns.groupby(path[:3])
        .agg(columns=("column", "nunique"), rows=("column_id", "size"))
        .reset_index()
        .rename(columns={"table": "name"})
    )
    yield from _grouped_nodes("tables", tables, path[:2])

    yield from _column_nodes(columns, path)

    usages = columns[columns["data_point_id"].notna()].sort_values(["data_point_id", *path])[
        ["data_point_id", "column_id", *path, "owner"]
    ]
    yield from _grouped_nodes("usages", usages, ["data_point_id"])
    yield from _anomaly_nodes(anomalies)
    yield from _search_nodes(datapoints, columns)


def _anomaly_nodes(anomalies: pd.DataFrame) -> Iterator[dict]:
    """Anomaly pages for every combination of the file / code / severity filters (blank = all)."""
    if anomalies.empty:
        yield from _nodes("anomalies", ["", "", ""], [])
        return
    frame = anomalies.reindex(columns=list(ANOMALY_FRAME_COLUMNS), fill_value="")
    frame["line"] = frame["line"].astype(object).where(frame["line"].notna(), None)
    frame["position"] = np.arange(len(frame))
    for mask in range(2 ** len(ANOMALY_FILTERS)):
        used = [name for bit, name in enumerate(ANOMALY_FILTERS) if mask >> bit & 1]
        keyed = frame.copy()
        for name in ANOMALY_FILTERS:
            keyed[f"by_{name}"] = keyed[name] if name in used else ""
        keys = [f"by_{name}" for name in ANOMALY_FILTERS]
        keyed = keyed.sort_values([*keys, "position"], kind="stable").drop(columns="position")
        yield from _grouped_nodes("anomalies", keyed, keys)
    per_line = frame[frame["file"] == "datapoints"].dropna(subset=["line"]).sort_values(["line", "position"])
    per_line = per_line.drop(columns="position").assign(line_key=lambda f: f["line"].astype(int))
    yield from _grouped_nodes("record_anomalies", per_line.drop(columns=["file"]), ["line_key"])


def _search_node(kind: str, path: list, *, items=(), words=None, data=None) -> dict:
    node = {
        "_id": node_id(kind, path),
        "kind": kind,
        "path": path,
        "page": 1,
        "pages": 1,
        "total": len(items),
        "items": list(items),
    }
    if words is not None:
        node["words"] = words
    if data is not None:
        node["data"] = data
    return node


def _search_nodes(datapoints: pd.DataFrame, columns: pd.DataFrame) -> Iterator[dict]:
    """The search index (see `catalog.search_index`): data points, then column rows in browse order."""
    path = ["namespace_id", "database", "table", "column"]
    ordered = columns.sort_values([*path, "line"], kind="stable")
    yield from search_nodes_build(
        make_node=lambda kind, node_path, **fields: _search_node(kind, node_path, **fields),
        datapoints=datapoints,
        columns=ordered,
    )
