"""The browse index: small, paged read-model documents built once per version with pandas (the
worker; the pages read them through `catalog.nodes` and `catalog.selectors`, without pandas).

Every browse page, search and anomaly list reads one document by `_id`. FerretDB's SQLite
backend (the MongoDB server here) only uses an index for `_id` equality and scans the whole
collection for anything else, so a page over a million column rows must not query by field.
Real MongoDB serves these lookups just as well. No Django import here.

A node is always read whole, so it is stored packed (`catalog.nodes.node_pack`).
"""

from collections.abc import Iterator

import numpy as np
import pandas as pd

from catalog.nodes import (
    ANOMALY_FILTERS,
    EXPORT_PAGE_SIZE,
    EXPORT_ROWS_PAGE_SIZE,
    GROUP_LINES,
    MAPPINGS_PAGE_SIZE,
    NODE_CHARS_BUDGET,
    PAGE_SIZE,
    STATUS_OPEN,
    node_id,
)
from catalog.search_index import search_facet_nodes_build, search_nodes_build
from contract import FILES, SCHEMAS, AnomalyStatus, Code, Severity
from engine.codes import ANOMALY_FRAME_COLUMNS, anomaly_group_fingerprints

_VALUE_OVERHEAD = 16  # BSON type, name and length of one value, about


class _Rows:
    """The columns of a frame as plain lists, to build dicts for a slice of rows at a time:
    a million rows never become a million dicts at once. Missing values become None."""

    def __init__(self, frame: pd.DataFrame):
        self.names = list(frame.columns)
        self.sizes = _sizes(frame)
        self.columns = []
        for name in self.names:
            column = frame[name]
            if column.hasnans:
                column = column.astype(object).where(column.notna(), None)
            self.columns.append(column.tolist())

    def dicts(self, start: int = 0, end: int | None = None) -> list[dict]:
        return [dict(zip(self.names, row)) for row in zip(*(column[start:end] for column in self.columns))]


def _sizes(frame: pd.DataFrame) -> np.ndarray:
    """Characters each row brings to a node, about (strings by length, anything else a few bytes)."""
    sizes = np.zeros(len(frame), dtype=np.int64)
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            try:
                lengths = column.str.len()
            except AttributeError:  # no string at all (e.g. every value missing)
                lengths = column.map(lambda value: len(value) if isinstance(value, str) else 0)
            sizes += np.nan_to_num(lengths.to_numpy(dtype=float)).astype(np.int64)
        sizes += _VALUE_OVERHEAD + len(name)
    return sizes


def _page_bounds(count: int, sizes: np.ndarray | None, size: int) -> list[tuple[int, int]]:
    """Pages of `size` items, closed early where the items' characters would pass the budget."""
    by_count = [(start, min(start + size, count)) for start in range(0, count, size)] or [(0, 0)]
    if sizes is None or count == 0 or np.add.reduceat(sizes, np.arange(0, count, size)).max() <= NODE_CHARS_BUDGET:
        return by_count
    bounds, start, used = [], 0, 0  # rare (values of many kilobytes): only this group's items are walked
    for position, item_size in enumerate(sizes.tolist()):
        if position > start and (position - start == size or used + item_size > NODE_CHARS_BUDGET):
            bounds.append((start, position))
            start, used = position, 0
        used += item_size
    bounds.append((start, count))
    return bounds


def _group_bounds(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end positions of the runs of equal rows in `keys` (a 2-D array, sorted)."""
    changes = np.ones(len(keys), dtype=bool)
    changes[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    starts = np.flatnonzero(changes)
    return starts, np.append(starts[1:], len(keys))


def _nodes(
    kind: str, path: list, items: list[dict], size: int = PAGE_SIZE, sizes: np.ndarray | None = None
) -> Iterator[dict]:
    """Paged nodes of `items`; `sizes` (characters per item) close pages early past the budget."""
    total = len(items)
    bounds = _page_bounds(total, sizes, size)
    pages = len(bounds)
    for page, (start, end) in enumerate(bounds, start=1):
        yield {
            "_id": node_id(kind, path, page),
            "kind": kind,
            "path": path,
            "page": page,
            "pages": pages,
            "total": total,
            "items": items[start:end],
        }


def _grouped_nodes(kind: str, frame: pd.DataFrame, keys: list[str], size: int = PAGE_SIZE) -> Iterator[dict]:
    """One paged node per distinct value of `keys`; `frame` must be sorted by `keys` already."""
    if frame.empty:
        return
    rows = _Rows(frame.drop(columns=keys))
    key_values = frame[keys].to_numpy()
    reach = np.concatenate([[0], np.cumsum(rows.sizes)]).tolist()  # characters before each row
    for start, end in zip(*_group_bounds(key_values)):
        path = [str(v) for v in key_values[start]]
        # sizes only matter for a group whose items together pass the budget (rare)
        sizes = rows.sizes[start:end] if reach[end] - reach[start] > NODE_CHARS_BUDGET else None
        yield from _nodes(kind, path, rows.dicts(start, end), size, sizes)


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
    column level): built one table at a time. A column whose mappings pass a share of the node
    budget keeps the first ones; the others go to its own `mappings` nodes (`more_mappings` pages)."""
    mappings = columns.sort_values([*path, "line"])
    rows = _Rows(mappings[["column_id", "data_point_id", "data_point_name", "data_type", "owner", "line"]])
    data_point_ids = rows.columns[1]
    starts, ends = _group_bounds(mappings[path].to_numpy())
    tables = mappings[path[:3]].to_numpy()[starts]
    names = mappings["column"].to_numpy()[starts]
    reach = np.concatenate([[0], np.cumsum(rows.sizes)])  # characters of the mappings before each row
    share = NODE_CHARS_BUDGET // 4
    for first, last in zip(*_group_bounds(tables)):
        items, sizes = [], []
        for physical in range(first, last):
            start, end = int(starts[physical]), int(ends[physical])
            # the first mappings within the share stay in the item (at least one)
            kept = (
                end
                if reach[end] - reach[start] <= share
                else start
                + max(1, int(np.searchsorted(reach[start : end + 1], reach[start] + share, side="right") - 1))
            )
            item = {
                "name": names[physical],
                "datapoints": len({dp for dp in data_point_ids[start:end] if dp is not None}),
                "rows": end - start,
                "mappings": rows.dicts(start, kept),
            }
            if kept < end:
                more = list(
                    _nodes(
                        "mappings",
                        [*(str(v) for v in tables[first]), str(names[physical])],
                        rows.dicts(kept, end),
                        MAPPINGS_PAGE_SIZE,
                        rows.sizes[kept:end],
                    )
                )
                item["more_mappings"] = len(more)
                yield from more
            items.append(item)
            sizes.append(len(str(item["name"])) + int(reach[kept] - reach[start]) + 64)
        sizes = np.array(sizes) if sum(sizes) > NODE_CHARS_BUDGET else None
        yield from _nodes("columns", [str(v) for v in tables[first]], items, sizes=sizes)


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
    rows = _Rows(top.sort_values("namespace_id"))
    sizes = rows.sizes if rows.sizes.sum() > NODE_CHARS_BUDGET else None
    yield from _nodes("namespaces", [], rows.dicts(), sizes=sizes)

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
    yield from anomaly_nodes_build(anomalies)
    yield from _search_nodes(namespaces, datapoints, columns)
    yield from _export_nodes(datapoints, columns)


def _budgeted(sizes: np.ndarray) -> np.ndarray | None:
    """`sizes` when the items together pass the node budget (rare: long values only), else None."""
    return sizes if int(sizes.sum()) > NODE_CHARS_BUDGET else None


def _export_nodes(datapoints: pd.DataFrame, columns: pd.DataFrame) -> Iterator[dict]:
    """What a namespace's JSON export reads, in a few pages instead of one read per data point:
    its column rows (`export_rows`: database, owner, data point, in the columns file's order) and
    every data point they map with all its fields (`export_datapoints`, in the order of first use)."""
    if columns.empty:
        return
    ordered = columns.sort_values(["namespace_id", "line"], kind="stable")
    rows = ordered[["namespace_id", "database", "owner", "data_point_id"]]
    key_values = rows["namespace_id"].to_numpy()
    starts, ends = _group_bounds(key_values.reshape(-1, 1))
    # Lists, not dicts: a million rows become a million short lists, one namespace at a time.
    values = _Rows(rows[["database", "owner", "data_point_id"]])
    for start, end in zip(starts, ends):
        items = [list(row) for row in zip(*(column[start:end] for column in values.columns), strict=True)]
        yield from _nodes(
            "export_rows", [str(key_values[start])], items, EXPORT_ROWS_PAGE_SIZE, _budgeted(values.sizes[start:end])
        )

    used = ordered.loc[ordered["data_point_id"].notna(), ["namespace_id", "data_point_id"]]
    used = used.drop_duplicates(["namespace_id", "data_point_id"])
    fields = datapoints[list(SCHEMAS["datapoints"].fields)].drop_duplicates("data_point_id")
    # An inner merge keeps the left order (namespace, first use) and drops dangling references.
    frame = used.merge(fields, on="data_point_id", how="inner")
    if frame.empty:
        return
    key_values = frame["namespace_id"].to_numpy()
    starts, ends = _group_bounds(key_values.reshape(-1, 1))
    records = _Rows(frame.drop(columns="namespace_id"))
    for start, end in zip(starts, ends):
        yield from _nodes(
            "export_datapoints",
            [str(key_values[start])],
            records.dicts(start, end),
            EXPORT_PAGE_SIZE,
            _budgeted(records.sizes[start:end]),
        )


def anomaly_nodes_build(anomalies: pd.DataFrame) -> Iterator[dict]:
    """Anomaly pages for every combination of the file / code / severity filters (blank = all)."""
    if anomalies.empty:
        yield from _nodes("anomalies", ["", "", ""], [])
        for file in FILES:
            yield _search_node("rejected_lines", [file])
        return
    frame = anomalies.reindex(columns=[*ANOMALY_FRAME_COLUMNS, "status"], fill_value="")
    frame["line"] = frame["line"].astype(object).where(frame["line"].notna(), None)
    frame["position"] = np.arange(len(frame))
    for mask in range(2 ** len(ANOMALY_FILTERS)):
        used = [name for bit, name in enumerate(ANOMALY_FILTERS) if mask >> bit & 1]
        keyed = frame.copy()
        for name in ANOMALY_FILTERS:
            keyed[f"by_{name}"] = keyed[name] if name in used else ""
        keys = [f"by_{name}" for name in ANOMALY_FILTERS if name != "status" or name in used]
        if "status" in used:  # and the pages of the anomalies nobody accepted
            open_rows = keyed[keyed["status"] != str(AnomalyStatus.ACCEPTED)].assign(by_status=STATUS_OPEN)
            keyed = pd.concat([keyed, open_rows])
        keyed = keyed.sort_values([*keys, "position"], kind="stable").drop(columns="position")
        yield from _grouped_nodes("anomalies", keyed, keys)
    grouped = frame.assign(group=anomaly_group_fingerprints(frame)).sort_values(["group", "position"], kind="stable")
    yield from _grouped_nodes("anomaly_group_rows", grouped.drop(columns="position"), ["group"])
    yield from _anomaly_group_nodes(frame)
    yield from _rejected_line_nodes(frame)
    per_line = frame[frame["file"] == "datapoints"].dropna(subset=["line"]).sort_values(["line", "position"])
    per_line = per_line.drop(columns="position").assign(line_key=lambda f: f["line"].astype(int))
    yield from _grouped_nodes("record_anomalies", per_line.drop(columns=["file"]), ["line_key"])


_SEVERITY_RANK = {str(severity): rank for rank, severity in enumerate(Severity)}
_CODE_RANK = {str(code): rank for rank, code in enumerate(Code)}
_FILE_RANK = {file: rank for rank, file in enumerate(FILES)}


def anomaly_groups_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per file, code, field and value: the group's `count` and its counts per status, its
    first lines, the variant and params of its first anomaly (what its message and fix are rendered
    from) and its `group` fingerprint; errors first, then warnings, then info, larger groups first."""
    frame = frame.assign(group=anomaly_group_fingerprints(frame))
    keys = ["file", "code", "field", "value"]
    groups = frame.groupby(keys, sort=False, dropna=False).agg(
        severity=("severity", "first"),
        variant=("variant", "first"),
        params=("params", "first"),
        group=("group", "first"),
        count=("group", "size"),
    )
    statuses = pd.crosstab([frame[k] for k in keys], frame["status"].fillna(""))
    for status in (str(s) for s in AnomalyStatus):
        counted = statuses[status] if status in statuses.columns else pd.Series(dtype=int)
        groups[status] = counted.reindex(groups.index).fillna(0).astype(int)
    lined = frame.dropna(subset=["line"]).sort_values("line", kind="stable")
    first = lined.groupby(keys, sort=False).head(GROUP_LINES).groupby(keys, sort=False)["line"].agg(list)
    groups["lines"] = [
        [int(line) for line in lines] if isinstance(lines, list) else [] for lines in first.reindex(groups.index)
    ]
    groups = groups.reset_index()
    order = pd.DataFrame(
        {
            "severity": groups["severity"].map(_SEVERITY_RANK).fillna(len(_SEVERITY_RANK)),
            "count": -groups["count"],
            "file": groups["file"].map(_FILE_RANK).fillna(len(_FILE_RANK)),
            "code": groups["code"].map(_CODE_RANK).fillna(len(_CODE_RANK)),
        }
    )
    text = [groups["value"].astype(str), groups["field"].astype(str)]
    ranked = np.lexsort([*text, *(order[name] for name in reversed(order.columns))])
    return groups.iloc[ranked].reset_index(drop=True)


def _anomaly_group_nodes(frame: pd.DataFrame) -> Iterator[dict]:
    """Pages of anomaly groups (`anomaly_groups_frame`) for every combination of the anomaly list's
    filters: a status filter keeps the groups holding that status and counts only those."""
    groups = anomaly_groups_frame(frame)
    statuses = [*(str(s) for s in AnomalyStatus), STATUS_OPEN]
    groups[STATUS_OPEN] = groups[str(AnomalyStatus.NEW)] + groups[str(AnomalyStatus.KNOWN)]
    for mask in range(2 ** len(ANOMALY_FILTERS)):
        used = [name for bit, name in enumerate(ANOMALY_FILTERS) if mask >> bit & 1]
        parts = []
        for status in statuses if "status" in used else [""]:
            part = groups if not status else groups[groups[status] > 0].assign(count=lambda g, s=status: g[s])
            part = part.assign(**{f"by_{n}": part[n] if n in used and n != "status" else "" for n in ANOMALY_FILTERS})
            parts.append(part.assign(by_status=status))
        keyed = pd.concat(parts, ignore_index=True)
        keyed["position"] = np.arange(len(keyed))
        keys = [f"by_{name}" for name in ANOMALY_FILTERS if name != "status" or name in used]
        keyed = keyed.drop(columns=[c for c in ("by_status",) if c not in keys])
        # each group keeps its counts per status (`new`, `known`, `accepted`) beside `count`
        keyed = keyed.sort_values([*keys, "position"], kind="stable").drop(columns=["position", STATUS_OPEN])
        yield from _grouped_nodes("anomaly_groups", keyed, keys)


def _rejected_line_nodes(frame: pd.DataFrame) -> Iterator[dict]:
    """Per file, the lines of the records an error rejected (`rejected_lines`: one node, lines
    sorted and distinct; a few bytes per line), for the rejected rows download."""
    rejected = frame[(frame["severity"] == str(Severity.ERROR)) & frame["line"].notna()]
    for file in FILES:  # every file, none rejected included: no page reads the anomalies by field
        lines = rejected.loc[rejected["file"] == file, "line"].astype(np.int64).to_numpy()
        yield _search_node("rejected_lines", [file], items=np.unique(lines).tolist())


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


def _search_nodes(namespaces: pd.DataFrame, datapoints: pd.DataFrame, columns: pd.DataFrame) -> Iterator[dict]:
    """The search index (see `catalog.search_index`): data points, then column rows in browse order."""
    path = ["namespace_id", "database", "table", "column"]
    ordered = columns.sort_values([*path, "line"], kind="stable")
    # the namespace's name travels with its column rows: found by it, shown instead of its id alone
    names = namespaces.drop_duplicates("namespace_id").set_index("namespace_id")["namespace_option_name"]
    ordered = ordered.assign(namespace_name=ordered["namespace_id"].map(names))
    make_node = _search_node
    yield from search_nodes_build(make_node=make_node, datapoints=datapoints, columns=ordered)
    yield from search_facet_nodes_build(make_node=make_node, columns=ordered)
