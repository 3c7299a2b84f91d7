"""Read queries for the browse, search and anomaly pages.

Pages read the browse index (`catalog.read_model`) by `_id`, one document per page; single
records are read by `_id` too. Nothing here filters a collection by field (see browse_index).
"""

from dataclasses import dataclass, field

from catalog.documents import BrowseNodeDocument, DataPointDocument, NamespaceDocument
from catalog.mongo import mongo_connect
from catalog.read_model import node_id, search_tokens


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


def _node(dataset_id: str, kind: str, path: list, page: int = 1) -> dict | None:
    mongo_connect()
    return BrowseNodeDocument._get_collection().find_one({"_id": node_id(dataset_id, kind, path, page)})


def _page(dataset_id: str, kind: str, path: list, page: int = 1) -> Page:
    page = max(1, page)
    node = _node(dataset_id, kind, path, page)
    if node is None:
        return Page(number=page)
    return Page(items=node["items"], number=node["page"], pages=node["pages"], total=node["total"])


def namespaces_for_dataset(*, dataset_id: str, page: int = 1) -> Page:
    """Namespaces with how many databases and column rows each holds."""
    return _page(dataset_id, "namespaces", [], page)


def namespace_get(*, dataset_id: str, namespace_id: str) -> NamespaceDocument | None:
    mongo_connect()
    return NamespaceDocument.objects(id=f"{dataset_id}:{namespace_id}").first()


def databases_for_namespace(*, dataset_id: str, namespace_id: str, page: int = 1) -> Page:
    """Databases of a namespace: `name`, `tables`, `rows`."""
    return _page(dataset_id, "databases", [namespace_id], page)


def tables_for_database(*, dataset_id: str, namespace_id: str, database: str, page: int = 1) -> Page:
    """Tables of a database: `name`, `columns`, `rows`."""
    return _page(dataset_id, "tables", [namespace_id, database], page)


def columns_for_table(*, dataset_id: str, namespace_id: str, database: str, table: str, page: int = 1) -> Page:
    """Physical columns of a table: `name`, `datapoints`, `rows`."""
    return _page(dataset_id, "columns", [namespace_id, database, table], page)


def mappings_for_column(*, dataset_id: str, namespace_id: str, database: str, table: str, column: str) -> list[dict]:
    """Column rows of one physical column, each with its data point's id, name and type.

    They live in the column's entry of its table's page; a table rarely has more than one page."""
    for item in _all_pages(dataset_id, "columns", [namespace_id, database, table]):
        if item["name"] == column:
            return _item_mappings(dataset_id, [namespace_id, database, table], item)
    return []


def _item_mappings(dataset_id: str, table_path: list, item: dict) -> list[dict]:
    """A physical column's mappings: those in its item, then the overflow pages of a very large one."""
    if not item.get("more_mappings"):
        return item["mappings"]
    return item["mappings"] + _all_pages(dataset_id, "mappings", [*table_path, item["name"]])


def _all_pages(dataset_id: str, kind: str, path: list) -> list[dict]:
    items, page = [], 1
    while (node := _node(dataset_id, kind, path, page)) is not None:
        items.extend(node["items"])
        if page >= node["pages"]:
            break
        page += 1
    return items


def column_rows_for_selection(
    *, dataset_id: str, namespace_id: str, database: str = "", table: str = "", column: str = ""
) -> list[dict]:
    """Every column row under a browse selection, walking the index down from the namespace."""
    databases = [database] if database else [d["name"] for d in _all_pages(dataset_id, "databases", [namespace_id])]
    rows = []
    for database_name in databases:
        tables = (
            [table] if table else [t["name"] for t in _all_pages(dataset_id, "tables", [namespace_id, database_name])]
        )
        for table_name in tables:
            for item in _all_pages(dataset_id, "columns", [namespace_id, database_name, table_name]):
                if column and item["name"] != column:
                    continue
                rows.extend(
                    {**mapping, "database": database_name, "table": table_name, "column": item["name"]}
                    for mapping in _item_mappings(dataset_id, [namespace_id, database_name, table_name], item)
                )
    return rows


def datapoints_by_ids(*, dataset_id: str, data_point_ids: list[str]) -> dict[str, DataPointDocument]:
    """Data points by key, each looked up by `_id`."""
    mongo_connect()
    found = {}
    for data_point_id in dict.fromkeys(data_point_ids):
        document = DataPointDocument.objects(id=f"{dataset_id}:{data_point_id}").first()
        if document is not None:
            found[data_point_id] = document
    return found


def datapoint_get(*, dataset_id: str, data_point_id: str) -> DataPointDocument | None:
    mongo_connect()
    return DataPointDocument.objects(id=f"{dataset_id}:{data_point_id}").first()


def columns_for_datapoint(*, dataset_id: str, data_point_id: str, page: int = 1) -> Page:
    """Every column row mapped to a data point, with its full path."""
    return _page(dataset_id, "usages", [data_point_id], page)


def anomalies_for_datapoint(*, dataset_id: str, line: int) -> list[dict]:
    node = _node(dataset_id, "record_anomalies", [str(line)])
    return node["items"] if node else []


def anomalies_list(*, dataset_id: str, file: str = "", code: str = "", severity: str = "", page: int = 1) -> Page:
    return _page(dataset_id, "anomalies", [file, code, severity], page)


@dataclass(frozen=True)
class SearchResults:
    query: str
    datapoints: list
    columns: list
    limited: bool


def dataset_search(*, dataset_id: str, query: str, limit: int = 200) -> SearchResults:
    """Data points (by id, name, standard name, definition) and columns (by database, table or
    column name) that hold every word of the query."""
    hits: dict | None = None
    limited = False
    for word in dict.fromkeys(search_tokens(query)):
        node = _node(dataset_id, "search", [word])
        items = node["items"] if node else []
        limited = limited or bool(node and node.get("limited"))
        found = {_search_key(item): item for item in items}
        hits = found if hits is None else {key: item for key, item in hits.items() if key in found}
    results = list((hits or {}).values())
    return SearchResults(
        query=query,
        datapoints=[item for item in results if item["kind"] == "datapoint"][:limit],
        columns=[item for item in results if item["kind"] == "column"][:limit],
        limited=limited,
    )


def _search_key(item: dict) -> tuple:
    if item["kind"] == "datapoint":
        return ("datapoint", item["data_point_id"])
    return ("column", item["namespace_id"], item["database"], item["table"], item["column"])
