"""JSON export of the data points under a browse selection, in the spec's structure."""

import re

from uploads.selectors import column_rows_for_selection, datapoints_by_ids, namespace_get

EXPORTED_FIELDS = (
    "data_point_standard_name",
    "approved_abbreviations",
    "data_point_definition",
    "applicable_data_universes",
    "applicable_domicile",
    "data_type",
    "data_point_possible_values",
    "is_derived",
    "methodology_reference",
)


def _owner_key(owner: str | None) -> str:
    owner = (owner or "").strip()
    return f"{owner.replace(' ', '_') if owner else 'unknown'}_namespaces"


def export_build(*, dataset_id: str, namespace_id: str, database: str = "", table: str = "", column: str = "") -> dict:
    """Returns the export; one top-level `<owner>_namespaces` key per owner in the selection."""
    namespace = namespace_get(dataset_id=dataset_id, namespace_id=namespace_id)
    rows = column_rows_for_selection(
        dataset_id=dataset_id, namespace_id=namespace_id, database=database, table=table, column=column
    )
    datapoints = datapoints_by_ids(
        dataset_id=dataset_id, data_point_ids=[row["data_point_id"] for row in rows if row.get("data_point_id")]
    )
    # owner -> database -> data point ids, each in the order of first appearance in the file.
    tree: dict[str, dict[str, dict[str, None]]] = {}
    for row in rows:
        databases = tree.setdefault(_owner_key(row.get("owner")), {})
        data_point_ids = databases.setdefault(row["database"], {})
        if row.get("data_point_id") in datapoints:
            data_point_ids[row["data_point_id"]] = None
    export = {}
    for owner_key, databases in tree.items():
        export[owner_key] = {
            namespace_id: {
                "namespace_option_name": namespace.namespace_option_name if namespace else None,
                "databases": [
                    {
                        database_name: [
                            {dp_id: {field: datapoints[dp_id][field] for field in EXPORTED_FIELDS}}
                            for dp_id in data_point_ids
                        ]
                    }
                    for database_name, data_point_ids in databases.items()
                ],
            }
        }
    return export


def export_filename(*, namespace_id: str, database: str = "", table: str = "", column: str = "") -> str:
    """A file name made only of safe characters, whatever the selection holds."""
    parts = [part for part in (namespace_id, database, table, column) if part]
    slug = "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", part).strip("-._") or "x" for part in parts)
    return f"export_{slug[:150]}.json"
