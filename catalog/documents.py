"""The shape of the MongoDB documents of a version: its records, anomalies and browse nodes.

The documents live in the version's own collections (`catalog.mongo.version_collection`), so
these classes only validate and wrap raw documents (`_from_son`); they are never queried through
mongoengine. Bulk writes go through pymongo's `insert_many` (see `catalog.persistence`). Pages
read documents by `_id` only (the record's key), so no index is declared: on FerretDB's SQLite
backend an index costs about 60% more insert time and is never used by a query, since that
backend filters on nothing but `_id`.
"""

from mongoengine import BinaryField, DictField, Document, DynamicField, IntField, ListField, StringField


class NamespaceDocument(Document):
    # `_id` is the record's key: FerretDB's SQLite backend only pushes `_id` equality down to
    # an index, so point lookups by key stay fast there too.
    id = StringField(primary_key=True)
    line = IntField(required=True)
    namespace_id = StringField(required=True)
    namespace_option_name = StringField(required=True)
    namespace_option_standard_name = StringField(null=True)

    meta = {"collection": "namespaces", "auto_create_index": False}


class DataPointDocument(Document):
    id = StringField(primary_key=True)
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

    meta = {"collection": "datapoints", "auto_create_index": False}


class ColumnDocument(Document):
    id = StringField(primary_key=True)
    line = IntField(required=True)
    column_id = StringField(required=True)
    namespace_id = StringField(required=True)
    dataset_database_name = StringField(required=True)
    dataset_table_name = StringField(required=True)
    dataset_column_name = StringField(required=True)
    data_point_id = StringField(null=True)
    dataset_owner_name = StringField(null=True)

    meta = {"collection": "columns", "auto_create_index": False}


class AnomalyDocument(Document):
    # `_id` is the position in the report (zero-padded), so the report order is the natural order.
    id = StringField(primary_key=True)
    file = StringField(required=True)
    line = IntField(null=True)
    field = StringField()
    code = StringField(required=True)
    severity = StringField(required=True)
    value = StringField()
    key = StringField()  # the key of the record it is about; "" for file- and header-level anomalies
    # What its message and fix are rendered from (`engine.anomaly_render`): the variant of its
    # code's templates and their values.
    variant = StringField()
    params = DictField()
    fingerprint = StringField()  # `engine.anomaly_fingerprints`: the same problem of the same record
    status = StringField()  # new / known (/ accepted): against the previous done version
    # Documents written before anomalies kept their values hold the rendered message instead.
    message = StringField()

    meta = {"collection": "anomalies", "auto_create_index": False}


class BrowseNodeDocument(Document):
    """A page of the browse index (see `catalog.read_model`), looked up by `_id` only and stored
    packed: its items (and a search node's words) in `packed`, compressed JSON."""

    id = StringField(primary_key=True)
    kind = StringField(required=True)
    path = ListField(StringField())
    page = IntField(required=True)
    pages = IntField(required=True)
    total = IntField(required=True)
    packed = BinaryField(required=True)
    data = BinaryField()  # search index nodes (see `catalog.search_index`): packed numbers or rows

    meta = {"collection": "browse_nodes", "auto_create_index": False}


RECORD_DOCUMENTS = {
    "namespaces": NamespaceDocument,
    "datapoints": DataPointDocument,
    "columns": ColumnDocument,
}
