"""JSON export of data points, in the spec's structure, for a browse selection or a search."""

import re

from catalog.selectors import (
    column_rows_for_selection,
    columns_for_datapoint,
    datapoints_by_ids,
    datapoints_for_namespace,
    dataset_search,
    export_rows_for_namespace,
    namespace_get,
)
from contract import SCHEMAS

# Every field of a data point but its id (the key above it) and its name, as the original export.
EXPORTED_FIELDS = tuple(
    field for field in SCHEMAS["datapoints"].fields if field not in ("data_point_id", "data_point_name")
)


def _owner_key(owner: str | None) -> str:
    owner = (owner or "").strip()
    return f"{owner.replace(' ', '_') if owner else 'unknown'}_namespaces"


def _export_tree(*, version: str, rows: list[dict], datapoints: dict | None = None) -> dict:
    """Rows of (namespace_id, database, owner, data_point_id) → owner → namespace → database → data points,
    each level in the order of first appearance. `datapoints` (key → fields) are read here when not given."""
    if datapoints is None:
        datapoints = datapoints_by_ids(
            version=version, data_point_ids=[row["data_point_id"] for row in rows if row.get("data_point_id")]
        )
    tree: dict[str, dict[str, dict[str, dict[str, None]]]] = {}
    for row in rows:
        databases = tree.setdefault(_owner_key(row.get("owner")), {}).setdefault(row["namespace_id"], {})
        data_point_ids = databases.setdefault(row["database"], {})
        if row.get("data_point_id") in datapoints:
            data_point_ids[row["data_point_id"]] = None
    names = {}
    export = {}
    for owner_key, namespaces in tree.items():
        export[owner_key] = {}
        for namespace_id, databases in namespaces.items():
            if namespace_id not in names:
                namespace = namespace_get(version=version, namespace_id=namespace_id)
                names[namespace_id] = namespace["namespace_option_name"] if namespace else None
            export[owner_key][namespace_id] = {
                "namespace_option_name": names[namespace_id],
                "databases": [
                    {
                        database: [
                            {dp_id: {field: datapoints[dp_id][field] for field in EXPORTED_FIELDS}}
                            for dp_id in data_point_ids
                        ]
                    }
                    for database, data_point_ids in databases.items()
                ],
            }
    return export


def export_build(*, version: str, namespace_id: str, database: str = "", table: str = "", column: str = "") -> dict:
    """The data points under a browse selection; one top-level `<owner>_namespaces` key per owner.

    A few pages of the browse index whatever the size: a whole namespace reads its export pages;
    a narrower selection walks its part of the index."""
    if database:
        rows = column_rows_for_selection(
            version=version, namespace_id=namespace_id, database=database, table=table, column=column
        )
        rows.sort(key=lambda row: row["line"])  # the order of the columns file
    else:
        rows = export_rows_for_namespace(version=version, namespace_id=namespace_id)
    datapoints = datapoints_for_namespace(version=version, namespace_id=namespace_id)
    return _export_tree(
        version=version, rows=[{**row, "namespace_id": namespace_id} for row in rows], datapoints=datapoints
    )


# A search export holds at most this many data points (the first ones, in file order).
SEARCH_EXPORT_LIMIT = 500


def export_build_for_search(*, version: str, query: str) -> dict:
    """The data points a search finds, placed under every namespace and database that maps them."""
    results = dataset_search(version=version, query=query, page_size=SEARCH_EXPORT_LIMIT)
    rows = []
    for item in results.datapoints:
        page = 1
        while True:
            usages = columns_for_datapoint(version=version, data_point_id=item["data_point_id"], page=page)
            rows.extend({**usage, "data_point_id": item["data_point_id"]} for usage in usages)
            if not usages.has_next():
                break
            page += 1
    return _export_tree(version=version, rows=rows)


def export_filename(*parts: str) -> str:
    """A file name made only of safe characters, whatever the selection holds."""
    slug = "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip("-._") or "x" for part in parts if part)
    return f"export_{slug[:150] or 'selection'}.json"
