"""Read queries for the browse, search and anomaly pages, always of one version.

`version` is the version id's hex, which names its collections (`catalog.mongo`). Pages read
the browse index (`catalog.nodes`; built by `catalog.read_model`) by `_id`, one document per
page; single records are read by `_id` (their key) too. Nothing here filters a collection by field (see browse_index).
"""

from dataclasses import dataclass, field
from functools import partial

from catalog.mongo import status_collection, version_collection
from catalog.nodes import PAGE_SIZE, STATUS_KINDS, STATUS_OPEN, node_id, node_unpack
from catalog.pages import ElidedPage, IndexPages, Matches, PageNumber, Pages
from catalog.search_facets import FACET_VALUES_SHOWN, FACETS, FacetValue, search_facets
from catalog.search_query import search_match, search_rows
from contract import FILES, anomaly_fingerprint


def _located(version: str, kind: str, path: list, page: int, statuses: int) -> tuple:
    """The collection and `_id` of a node: the browse index, or for an anomaly page holding
    statuses, the pages rebuilt at triage revision `statuses` (0: those written with the version)."""
    if statuses and kind in STATUS_KINDS:
        return status_collection(version=version, revision=statuses), node_id(kind, path, page)
    return version_collection(version=version, kind="browse_nodes"), node_id(kind, path, page)


def _node(version: str, kind: str, path: list, page: int = 1, statuses: int = 0) -> dict | None:
    collection, key = _located(version, kind, path, page, statuses)
    return node_unpack(collection.find_one({"_id": key}))


def _node_header(version: str, kind: str, path: list, page: int = 1, statuses: int = 0) -> dict | None:
    """A node's page, pages and total, without its items."""
    collection, key = _located(version, kind, path, page, statuses)
    return collection.find_one({"_id": key}, projection={"page": 1, "pages": 1, "total": 1})


def _record(version: str, file: str, key: str) -> dict | None:
    """One record by its key: its fields as the engine's schema names them, and `line`."""
    return version_collection(version=version, kind=file).find_one({"_id": key})


def _page(version: str, kind: str, path: list, page: PageNumber = 1, statuses: int = 0) -> ElidedPage:
    """One page of a node; `page` as the query string gives it (Django's `get_page`: a number that
    is no page gives the first or the last one)."""

    def read(number: int, header_only: bool) -> dict | None:
        return (_node_header if header_only else _node)(version, kind, path, number, statuses)

    return IndexPages(read, PAGE_SIZE).get_page(page)


def no_page() -> ElidedPage:
    """The one empty page of a version without records."""
    return Pages([], PAGE_SIZE).get_page(1)


def namespaces_for_dataset(*, version: str, page: PageNumber = 1) -> ElidedPage:
    """Namespaces with how many databases and column rows each holds."""
    return _page(version, "namespaces", [], page)


def namespace_get(*, version: str, namespace_id: str) -> dict | None:
    return _record(version, "namespaces", namespace_id)


def databases_for_namespace(*, version: str, namespace_id: str, page: PageNumber = 1) -> ElidedPage:
    """Databases of a namespace: `name`, `tables`, `rows`."""
    return _page(version, "databases", [namespace_id], page)


def tables_for_database(*, version: str, namespace_id: str, database: str, page: PageNumber = 1) -> ElidedPage:
    """Tables of a database: `name`, `columns`, `rows`."""
    return _page(version, "tables", [namespace_id, database], page)


def columns_for_table(
    *, version: str, namespace_id: str, database: str, table: str, page: PageNumber = 1
) -> ElidedPage:
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


def _all_pages(version: str, kind: str, path: list, statuses: int = 0) -> list:
    """The items of every page of a node, in order (none when it has no page at all)."""
    first = _node(version, kind, path, statuses=statuses)
    if first is None:
        return []
    items = list(first["items"])
    for page in range(2, first["pages"] + 1):
        node = _node(version, kind, path, page, statuses)
        if node is not None:
            items.extend(node["items"])
    return items


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


def datapoints_by_ids(*, version: str, data_point_ids: list[str]) -> dict[str, dict]:
    """Data points by key, each looked up by `_id`: for a few keys only (a search export holds at
    most SEARCH_LIMIT). `$in` would be one round trip, but FerretDB's SQLite backend answers it
    by scanning the whole collection; a namespace's export reads `datapoints_for_namespace`."""
    collection = version_collection(version=version, kind="datapoints")
    found = {}
    for data_point_id in dict.fromkeys(data_point_ids):
        raw = collection.find_one({"_id": data_point_id})
        if raw is not None:
            found[data_point_id] = raw
    return found


def datapoints_for_namespace(*, version: str, namespace_id: str) -> dict[str, dict]:
    """Every data point the namespace's column rows map, by key, with all its fields: a few
    browse-index pages (EXPORT_PAGE_SIZE data points each), not one read per data point.
    Empty when the namespace maps none."""
    items = _all_pages(version, "export_datapoints", [namespace_id])
    return {item["data_point_id"]: item for item in items}


def export_rows_for_namespace(*, version: str, namespace_id: str) -> list[dict]:
    """The namespace's column rows as the export needs them (`database`, `owner`, `data_point_id`),
    in the columns file's order."""
    items = _all_pages(version, "export_rows", [namespace_id])
    return [
        {"database": database, "owner": owner, "data_point_id": data_point_id}
        for database, owner, data_point_id in items
    ]


def datapoint_get(*, version: str, data_point_id: str) -> dict | None:
    return _record(version, "datapoints", data_point_id)


def columns_for_datapoint(*, version: str, data_point_id: str, page: PageNumber = 1) -> ElidedPage:
    """Every column row mapped to a data point, with its full path."""
    return _page(version, "usages", [data_point_id], page)


def record_get(*, version: str, file: str, key: str) -> dict | None:
    """A persisted record of one of the three files of a version, by its key."""
    return _record(version, file, key) if file in FILES else None


def anomalies_for_datapoint(*, version: str, line: int) -> list[dict]:
    node = _node(version, "record_anomalies", [str(line)])
    return node["items"] if node else []


# The anomaly pages below take `statuses`: which of the version's status pages to read
# (`DatasetVersion.status_pages`: 0 for those written with the version, else a triage revision).


def anomalies_list(
    *,
    version: str,
    file: str = "",
    code: str = "",
    severity: str = "",
    status: str = "",
    page: PageNumber = 1,
    statuses: int = 0,
) -> ElidedPage:
    """A page of a version's anomalies, filtered (see `read_model.ANOMALY_FILTERS`)."""
    return _page(version, "anomalies", [file, code, severity, *([status] if status else [])], page, statuses)


def _status_part(version: str, status: str, statuses: int) -> list[str]:
    """The status part of an anomaly page's path. `all` is none; no status ("needs attention")
    is `open` when the version holds accepted anomalies, else none as well (the same anomalies,
    and the only pages a version processed before statuses existed has)."""
    if status == "all":
        return []
    if status:
        return [status]
    accepted = _node_header(version, "anomalies", ["", "", "", "accepted"], statuses=statuses)
    return [STATUS_OPEN] if accepted is not None and accepted["total"] else []


def anomalies_needing_attention(
    *,
    version: str,
    file: str = "",
    code: str = "",
    severity: str = "",
    status: str = "",
    page: PageNumber = 1,
    statuses: int = 0,
) -> ElidedPage:
    """Like `anomalies_list`, but no status means the anomalies nobody accepted, `all` all of them."""
    path = [file, code, severity, *_status_part(version, status, statuses)]
    return _page(version, "anomalies", path, page, statuses)


def anomaly_groups_list(
    *,
    version: str,
    file: str = "",
    code: str = "",
    severity: str = "",
    status: str = "",
    page: PageNumber = 1,
    statuses: int = 0,
) -> ElidedPage:
    """A page of a version's anomaly groups (`read_model.anomaly_groups_frame`), filtered as the
    anomaly list is; empty for a version processed before groups existed."""
    path = [file, code, severity, *_status_part(version, status, statuses)]
    return _page(version, "anomaly_groups", path, page, statuses)


def anomaly_group_rows(*, version: str, group: str, page: PageNumber = 1, statuses: int = 0) -> ElidedPage:
    """A page of the anomalies of one group, by its fingerprint."""
    return _page(version, "anomaly_group_rows", [group], page, statuses)


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


def anomaly_group_items(*, version: str, group: str, statuses: int = 0) -> list[dict]:
    """Every anomaly of one group (all its pages), for the fixes applied on request."""
    return _all_pages(version, "anomaly_group_rows", [group], statuses)


SEARCH_PAGE_SIZE = 25


@dataclass(frozen=True)
class SearchResults:
    query: str
    words: list[str]
    datapoints: ElidedPage  # items: data_point_id, data_point_name, data_type
    columns: ElidedPage  # items: column_id, namespace_id, namespace_name, database, table, column, owner, data_point_id
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)  # the column rows found, counted


def _search_page(version: str, kind: str, positions, page: PageNumber, size: int) -> ElidedPage:
    """One page of matches; the count is every match, never a capped one."""
    fetch = partial(_search_fetch, version)
    matches = Matches(positions, lambda shown: search_rows(fetch=fetch, kind=kind, positions=shown))
    return Pages(matches, size).get_page(page)


def _search_fetch(version: str, kind: str, path: list) -> dict | None:
    return _node(version, kind, path)


def dataset_search(
    *,
    version: str,
    query: str,
    datapoints_page: PageNumber = 1,
    columns_page: PageNumber = 1,
    page_size: int = SEARCH_PAGE_SIZE,
    chosen: dict[str, str] | None = None,
    facet_values: int | None = FACET_VALUES_SHOWN,
) -> SearchResults:
    """Data points (by id, name, standard name, abbreviation, methodology reference, definition)
    and column rows (by column id, namespace id and name, database, table, column name, owner)
    holding every word of the query, each word as the start of a word, ignoring case and accents;
    what holds the typed value comes first (`catalog.search_index`). `chosen` narrows the column
    rows to a namespace, database or owner (`catalog.search_facets`); data points have none of
    them, so a narrowed search lists none."""
    fetch = partial(_search_fetch, version)
    matches = search_match(fetch=fetch, query=query)
    chosen = {facet: value for facet, value in (chosen or {}).items() if facet in FACETS and value}
    faceted = search_facets(fetch=fetch, columns=matches.columns, chosen=chosen, shown=facet_values)
    datapoints = matches.datapoints[:0] if chosen else matches.datapoints
    return SearchResults(
        query=query,
        words=matches.words,
        datapoints=_search_page(version, "datapoint", datapoints, datapoints_page, page_size),
        columns=_search_page(version, "column", faceted.columns, columns_page, page_size),
        facets=faceted.counts,
    )


@dataclass(frozen=True)
class CatalogSearch:
    found: list[tuple[str, SearchResults]]  # (version, its first matches) for every version with any
    facets: dict[str, list[FacetValue]]  # the column rows of every version, counted together


def catalog_search(
    *, versions: list[str], query: str, chosen: dict[str, str] | None = None, page_size: int = 5
) -> CatalogSearch:
    """One search over several versions (one per dataset): each one's first matches and totals,
    and the facet counts summed."""
    found, tally, labels = [], {}, {}
    for version in versions:
        results = dataset_search(version=version, query=query, page_size=page_size, chosen=chosen, facet_values=None)
        if results.datapoints.paginator.count or results.columns.paginator.count:
            found.append((version, results))
        for facet, values in results.facets.items():
            for value in values:
                key = (facet, value.value, value.label)
                tally[key] = tally.get(key, 0) + value.count
                labels[key] = value
    facets = {facet: [] for facet in FACETS}
    for key, count in sorted(tally.items(), key=lambda item: -item[1]):
        if len(facets[key[0]]) < FACET_VALUES_SHOWN:
            facets[key[0]].append(FacetValue(facet=key[0], value=key[1], label=key[2], count=count))
    return CatalogSearch(found=found, facets=facets)


def _text(value) -> str:
    return "" if value is None else str(value)


def anomaly_fingerprints_of(*, version: str) -> set[str]:
    """The fingerprints of a version's anomalies. A document written before anomalies had one
    gets it from its stored fields, as the engine computes it (same parts, same hash)."""
    fields = ("fingerprint", "file", "code", "field", "key", "line", "value")
    documents = list(
        version_collection(version=version, kind="anomalies").find({}, {"_id": 0, **dict.fromkeys(fields, 1)})
    )
    known = {document["fingerprint"] for document in documents if document.get("fingerprint")}
    known.update(
        anomaly_fingerprint(
            **{name: _text(document.get(name)) for name in ("file", "code", "field", "key", "value")},
            line=document.get("line"),
        )
        for document in documents
        if not document.get("fingerprint")
    )
    return known
