"""Read queries for the browse, search and anomaly pages, always of one version.

`version` is the version id's hex, which names its collections (`catalog.mongo`). Pages read
the browse index (`catalog.read_model`) by `_id`, one document per page; single records are read
by `_id` (their key) too. Nothing here filters a collection by field (see browse_index).
"""

from dataclasses import dataclass, field
from functools import partial

import pandas as pd

from catalog.documents import RECORD_DOCUMENTS, DataPointDocument, NamespaceDocument
from catalog.mongo import version_collection
from catalog.read_model import STATUS_OPEN, node_id, node_unpack
from catalog.search_index import search_match, search_rows
from engine import anomaly_fingerprints


@dataclass(frozen=True)
class Page:
    items: list = field(default_factory=list)
    number: int = 1
    pages: int = 1
    total: int = 0

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _node(version: str, kind: str, path: list, page: int = 1) -> dict | None:
    document = version_collection(version=version, kind="browse_nodes").find_one({"_id": node_id(kind, path, page)})
    return node_unpack(document)


def _record(version: str, file: str, key: str):
    """One record by its key, wrapped in its document class (templates read its attributes)."""
    raw = version_collection(version=version, kind=file).find_one({"_id": key})
    return RECORD_DOCUMENTS[file]._from_son(raw) if raw is not None else None


def _page(version: str, kind: str, path: list, page: int = 1) -> Page:
    page = max(1, page)
    node = _node(version, kind, path, page)
    if node is None:
        return Page(number=page)
    return Page(items=node["items"], number=node["page"], pages=node["pages"], total=node["total"])


def namespaces_for_dataset(*, version: str, page: int = 1) -> Page:
    """Namespaces with how many databases and column rows each holds."""
    return _page(version, "namespaces", [], page)


def namespace_get(*, version: str, namespace_id: str) -> NamespaceDocument | None:
    return _record(version, "namespaces", namespace_id)


def databases_for_namespace(*, version: str, namespace_id: str, page: int = 1) -> Page:
    """Databases of a namespace: `name`, `tables`, `rows`."""
    return _page(version, "databases", [namespace_id], page)


def tables_for_database(*, version: str, namespace_id: str, database: str, page: int = 1) -> Page:
    """Tables of a database: `name`, `columns`, `rows`."""
    return _page(version, "tables", [namespace_id, database], page)


def columns_for_table(*, version: str, namespace_id: str, database: str, table: str, page: int = 1) -> Page:
    """Physical columns of a table: `name`, `datapoints`, `rows`."""
    return _page(version, "columns", [namespace_id, database, table], page)


def mappings_for_column(*, version: str, namespace_id: str, database: str, table: str, column: str) -> list[dict]:
    """Column rows of one physical column, each with its data point's id, name and type.

    They live in the column's entry of its table's page; a table rarely has more than one page."""
    for item in _all_pages(version, "columns", [namespace_id, database, table]):
        if item["name"] == column:
            return _item_mappings(version, [namespace_id, database, table], item)
    return []


def _item_mappings(version: str, table_path: list, item: dict) -> list[dict]:
    """A physical column's mappings: those in its item, then the overflow pages of a very large one."""
    if not item.get("more_mappings"):
        return item["mappings"]
    return item["mappings"] + _all_pages(version, "mappings", [*table_path, item["name"]])


def _pages_items(version: str, kind: str, path: list) -> list | None:
    """The items of every page of a node, in order; None when it has no page at all."""
    first = _node(version, kind, path)
    if first is None:
        return None
    items = list(first["items"])
    for page in range(2, first["pages"] + 1):
        node = _node(version, kind, path, page)
        if node is not None:
            items.extend(node["items"])
    return items


def _all_pages(version: str, kind: str, path: list) -> list:
    return _pages_items(version, kind, path) or []


def column_rows_for_selection(
    *, version: str, namespace_id: str, database: str = "", table: str = "", column: str = ""
) -> list[dict]:
    """Every column row under a browse selection, walking the index down from the namespace."""
    databases = [database] if database else [d["name"] for d in _all_pages(version, "databases", [namespace_id])]
    rows = []
    for database_name in databases:
        tables = [table] if table else [t["name"] for t in _all_pages(version, "tables", [namespace_id, database_name])]
        for table_name in tables:
            for item in _all_pages(version, "columns", [namespace_id, database_name, table_name]):
                if column and item["name"] != column:
                    continue
                rows.extend(
                    {**mapping, "database": database_name, "table": table_name, "column": item["name"]}
                    for mapping in _item_mappings(version, [namespace_id, database_name, table_name], item)
                )
    return rows


def datapoints_by_ids(*, version: str, data_point_ids: list[str]) -> dict[str, DataPointDocument]:
    """Data points by key, each looked up by `_id`: for a few keys only (a search export holds at
    most SEARCH_LIMIT). `$in` would be one round trip, but FerretDB's SQLite backend answers it
    by scanning the whole collection; a namespace's export reads `datapoints_for_namespace`."""
    collection = version_collection(version=version, kind="datapoints")
    found = {}
    for data_point_id in dict.fromkeys(data_point_ids):
        raw = collection.find_one({"_id": data_point_id})
        if raw is not None:
            found[data_point_id] = DataPointDocument._from_son(raw)
    return found


def datapoints_for_namespace(*, version: str, namespace_id: str) -> dict[str, dict]:
    """Every data point the namespace's column rows map, by key, with all its fields: a few
    browse-index pages (EXPORT_PAGE_SIZE data points each), not one read per data point.
    Empty when the namespace maps none, or the version was processed before these pages existed."""
    items = _all_pages(version, "export_datapoints", [namespace_id])
    return {item["data_point_id"]: item for item in items}


def export_rows_for_namespace(*, version: str, namespace_id: str) -> list[dict] | None:
    """The namespace's column rows as the export needs them (`database`, `owner`, `data_point_id`),
    in the columns file's order; None for a version processed before these pages existed."""
    items = _pages_items(version, "export_rows", [namespace_id])
    if items is None:
        return None
    return [
        {"database": database, "owner": owner, "data_point_id": data_point_id}
        for database, owner, data_point_id in items
    ]


def datapoint_get(*, version: str, data_point_id: str) -> DataPointDocument | None:
    return _record(version, "datapoints", data_point_id)


def columns_for_datapoint(*, version: str, data_point_id: str, page: int = 1) -> Page:
    """Every column row mapped to a data point, with its full path."""
    return _page(version, "usages", [data_point_id], page)


def record_get(*, version: str, file: str, key: str) -> dict | None:
    """A persisted record of one of the three files of a version, by its key."""
    if file not in RECORD_DOCUMENTS:
        return None
    return version_collection(version=version, kind=file).find_one({"_id": key})


def anomalies_for_datapoint(*, version: str, line: int) -> list[dict]:
    node = _node(version, "record_anomalies", [str(line)])
    return node["items"] if node else []


def anomalies_list(
    *, version: str, file: str = "", code: str = "", severity: str = "", status: str = "", page: int = 1
) -> Page:
    """A page of a version's anomalies, filtered (see `read_model.ANOMALY_FILTERS`)."""
    return _page(version, "anomalies", [file, code, severity, *([status] if status else [])], page)


def _status_part(version: str, status: str) -> list[str]:
    """The status part of an anomaly page's path. `all` is none; no status ("needs attention")
    is `open` when the version holds accepted anomalies, else none as well (the same anomalies,
    and the only pages a version processed before statuses existed has)."""
    if status == "all":
        return []
    if status:
        return [status]
    accepted = _node(version, "anomalies", ["", "", "", "accepted"])
    return [STATUS_OPEN] if accepted is not None and accepted["total"] else []


def anomalies_needing_attention(
    *, version: str, file: str = "", code: str = "", severity: str = "", status: str = "", page: int = 1
) -> Page:
    """Like `anomalies_list`, but no status means the anomalies nobody accepted, `all` all of them."""
    return _page(version, "anomalies", [file, code, severity, *_status_part(version, status)], page)


def anomaly_groups_list(
    *, version: str, file: str = "", code: str = "", severity: str = "", status: str = "", page: int = 1
) -> Page:
    """A page of a version's anomaly groups (`read_model.anomaly_groups_frame`), filtered as the
    anomaly list is; empty for a version processed before groups existed."""
    return _page(version, "anomaly_groups", [file, code, severity, *_status_part(version, status)], page)


def anomaly_group_rows(*, version: str, group: str, page: int = 1) -> Page:
    """A page of the anomalies of one group, by its fingerprint."""
    return _page(version, "anomaly_group_rows", [group], page)


def rejected_lines(*, version: str, file: str) -> list[int]:
    """The lines of a file's records an error rejected, sorted. A version processed before these
    were kept in the browse index reads them from its anomalies (one query, by field)."""
    node = _node(version, "rejected_lines", [file])
    if node is not None:
        return node["items"]
    found = version_collection(version=version, kind="anomalies").find(
        {"file": file, "severity": "error"}, {"_id": 0, "line": 1}
    )
    return sorted({int(document["line"]) for document in found if document.get("line") is not None})


def anomaly_group_items(*, version: str, group: str) -> list[dict]:
    """Every anomaly of one group (all its pages), for the fixes applied on request."""
    return _all_pages(version, "anomaly_group_rows", [group])


SEARCH_PAGE_SIZE = 25


@dataclass(frozen=True)
class SearchResults:
    query: str
    words: list[str]
    datapoints: Page  # items: data_point_id, data_point_name, data_type
    columns: Page  # items: column_id, namespace_id, database, table, column, owner, data_point_id


def _search_page(version: str, kind: str, positions, page: int, size: int) -> Page:
    """One page of matches; the total is every match, never a capped count."""
    total = len(positions)
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    shown = positions[(page - 1) * size : page * size]
    fetch = partial(_search_fetch, version)
    return Page(items=search_rows(fetch=fetch, kind=kind, positions=shown), number=page, pages=pages, total=total)


def _search_fetch(version: str, kind: str, path: list) -> dict | None:
    return _node(version, kind, path)


def dataset_search(
    *,
    version: str,
    query: str,
    datapoints_page: int = 1,
    columns_page: int = 1,
    page_size: int = SEARCH_PAGE_SIZE,
) -> SearchResults:
    """Data points (by id, name, standard name, definition) and column rows (by column id,
    namespace, database, table, column name, owner) holding every word of the query, each word
    as the start of a word, ignoring case and accents."""
    matches = search_match(fetch=partial(_search_fetch, version), query=query)
    return SearchResults(
        query=query,
        words=matches.words,
        datapoints=_search_page(version, "datapoint", matches.datapoints, datapoints_page, page_size),
        columns=_search_page(version, "column", matches.columns, columns_page, page_size),
    )


def anomaly_fingerprints_of(*, version: str) -> set[str]:
    """The fingerprints of a version's anomalies. A document written before anomalies had one
    gets it from its stored fields, as the engine computes it (same parts, same hash)."""
    fields = ("fingerprint", "file", "code", "field", "key", "line", "value")
    documents = list(
        version_collection(version=version, kind="anomalies").find({}, {"_id": 0, **dict.fromkeys(fields, 1)})
    )
    known = {document["fingerprint"] for document in documents if document.get("fingerprint")}
    older = [document for document in documents if not document.get("fingerprint")]
    if older:
        frame = pd.DataFrame(older).reindex(columns=list(fields))
        frame["line"] = pd.array(frame["line"].astype(object).where(frame["line"].notna(), None), dtype="Int64")
        known.update(anomaly_fingerprints(frame))
    return known
