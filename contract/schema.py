"""The three files of a dataset: their fields, and what the spec says about each field."""

from dataclasses import dataclass, field

FILES = ("namespaces", "datapoints", "columns")


@dataclass(frozen=True)
class FileSchema:
    name: str
    fields: tuple[str, ...]
    required: frozenset[str]
    key: str
    list_fields: frozenset[str] = frozenset()
    vocabulary_fields: frozenset[str] = frozenset()
    categorical_fields: tuple[str, ...] = ()
    # field -> the file whose key it names
    reference_fields: dict[str, str] = field(default_factory=dict)


SCHEMAS: dict[str, FileSchema] = {
    "namespaces": FileSchema(
        name="namespaces",
        fields=("namespace_id", "namespace_option_name", "namespace_option_standard_name"),
        required=frozenset({"namespace_id", "namespace_option_name"}),
        key="namespace_id",
    ),
    "datapoints": FileSchema(
        name="datapoints",
        fields=(
            "data_point_id",
            "data_point_name",
            "data_point_standard_name",
            "approved_abbreviations",
            "data_point_definition",
            "applicable_data_universes",
            "applicable_domicile",
            "data_type",
            "data_point_possible_values",
            "is_derived",
            "methodology_reference",
        ),
        required=frozenset({"data_point_id", "data_point_name", "data_type"}),
        key="data_point_id",
        list_fields=frozenset(
            {
                "approved_abbreviations",
                "applicable_data_universes",
                "applicable_domicile",
                "data_point_possible_values",
            }
        ),
        vocabulary_fields=frozenset({"data_type", "is_derived"}),
    ),
    "columns": FileSchema(
        name="columns",
        fields=(
            "column_id",
            "namespace_id",
            "dataset_database_name",
            "dataset_table_name",
            "dataset_column_name",
            "data_point_id",
            "dataset_owner_name",
        ),
        required=frozenset(
            {"column_id", "namespace_id", "dataset_database_name", "dataset_table_name", "dataset_column_name"}
        ),
        key="column_id",
        categorical_fields=("dataset_database_name", "dataset_owner_name"),
        reference_fields={"namespace_id": "namespaces", "data_point_id": "datapoints"},
    ),
}
