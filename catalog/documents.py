"""MongoDB documents for the linked records of a dataset; every document carries `dataset_id`.

Bulk writes go through pymongo's `insert_many` (see `catalog.persistence`). Pages read documents
by `_id` only (`<dataset_id>:<key>`, which also keeps keys unique per dataset), so the one other
index is `dataset_id`, which deleting a dataset filters on. Every further index would only slow
the inserts: on FerretDB's SQLite backend an index costs about 60% more insert time and is never
used by a query, since that backend filters on nothing but `_id`.
"""

from mongoengine import BooleanField, DictField, Document, DynamicField, IntField, ListField, StringField


class NamespaceDocument(Document):
    # `_id` is "<dataset_id>:<key>": FerretDB's SQLite backend only pushes `_id` equality down to
    # an index, so point lookups by key stay fast there too.
    id = StringField(primary_key=True)
    dataset_id = StringField(required=True)
    line = IntField(required=True)
    namespace_id = StringField(required=True)
    namespace_option_name = StringField(required=True)
    namespace_option_standard_name = StringField(null=True)

    meta = {
        "collection": "namespaces",
        "indexes": ["dataset_id"],
    }


class DataPointDocument(Document):
    id = StringField(primary_key=True)
    dataset_id = StringField(required=True)
    line = IntField(required=True)
    data_point_id = StringField(required=True)
    data_point_name = StringField(required=True)
    data_point_standard_name = StringField(null=True)
    approved_abbreviations = ListField(StringField())
    data_point_definition = StringField(null=True)
    applicable_data_universes = ListField(StringField())
    applicable_domicile = ListField(StringField())
    data_type = StringField(required=True)
    data_point_possible_values = ListField(StringField())
    # A boolean when the value is in the vocabulary; the value as given (a string) otherwise.
    is_derived = DynamicField(null=True)
    methodology_reference = StringField(null=True)

    meta = {
        "collection": "datapoints",
        "indexes": ["dataset_id"],
    }


class ColumnDocument(Document):
    id = StringField(primary_key=True)
    dataset_id = StringField(required=True)
    line = IntField(required=True)
    column_id = StringField(required=True)
    namespace_id = StringField(required=True)
    dataset_database_name = StringField(required=True)
    dataset_table_name = StringField(required=True)
    dataset_column_name = StringField(required=True)
    data_point_id = StringField(null=True)
    dataset_owner_name = StringField(null=True)

    meta = {
        "collection": "columns",
        "indexes": ["dataset_id"],
    }


class AnomalyDocument(Document):
    # `_id` is "<dataset_id>:<position in the report>", so the report order is the natural order.
    id = StringField(primary_key=True)
    dataset_id = StringField(required=True)
    file = StringField(required=True)
    line = IntField(null=True)
    field = StringField()
    code = StringField(required=True)
    severity = StringField(required=True)
    value = StringField()
    message = StringField()

    meta = {
        "collection": "anomalies",
        "indexes": ["dataset_id"],
    }


class BrowseNodeDocument(Document):
    """A page of the browse index (see `catalog.read_model`), looked up by `_id` only."""

    id = StringField(primary_key=True)
    dataset_id = StringField(required=True)
    kind = StringField(required=True)
    path = ListField(StringField())
    page = IntField(required=True)
    pages = IntField(required=True)
    total = IntField(required=True)
    items = ListField(DictField())
    limited = BooleanField()  # search nodes: more matches exist than the node keeps
    # Export nodes: the items as one JSON string, decoded by the reader (see read_model).
    payload = StringField()

    meta = {"collection": "browse_nodes", "indexes": ["dataset_id"]}


RECORD_DOCUMENTS = {
    "namespaces": NamespaceDocument,
    "datapoints": DataPointDocument,
    "columns": ColumnDocument,
}
ALL_DOCUMENTS = (*RECORD_DOCUMENTS.values(), AnomalyDocument, BrowseNodeDocument)
