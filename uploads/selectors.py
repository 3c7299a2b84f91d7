"""Read queries for the browse pages: namespace → database → table → column → data points."""

from dataclasses import dataclass

from uploads.documents import AnomalyDocument, ColumnDocument, DataPointDocument, NamespaceDocument
from uploads.mongo import mongo_connect

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def _page_number(page: int) -> int:
    return max(1, int(page))


def _grouped(*, match: dict, group_field: str, page: int) -> Page:
    """Distinct values of `group_field` under `match`, with how many column rows hold each."""
    mongo_connect()
    page = _page_number(page)
    rows = list(
        ColumnDocument._get_collection().aggregate(
            [
                {"$match": match},
                {"$group": {"_id": f"${group_field}", "rows": {"$sum": 1}}},
                {"$sort": {"_id": 1}},
            ]
        )
    )
    items = [{"name": row["_id"], "rows": row["rows"]} for row in rows]
    start = (page - 1) * PAGE_SIZE
    return Page(items=items[start : start + PAGE_SIZE], number=page, total=len(items))


def namespaces_for_dataset(*, dataset_id: str, page: int = 1) -> Page:
    mongo_connect()
    page = _page_number(page)
    query = NamespaceDocument.objects(dataset_id=dataset_id).order_by("namespace_id")
    total = query.count()
    items = list(query.skip((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return Page(items=items, number=page, total=total)


def namespace_get(*, dataset_id: str, namespace_id: str) -> NamespaceDocument | None:
    mongo_connect()
    return NamespaceDocument.objects(id=f"{dataset_id}:{namespace_id}").first()


def databases_for_namespace(*, dataset_id: str, namespace_id: str, page: int = 1) -> Page:
    return _grouped(
        match={"dataset_id": dataset_id, "namespace_id": namespace_id},
        group_field="dataset_database_name",
        page=page,
    )


def tables_for_database(*, dataset_id: str, namespace_id: str, database: str, page: int = 1) -> Page:
    return _grouped(
        match={"dataset_id": dataset_id, "namespace_id": namespace_id, "dataset_database_name": database},
        group_field="dataset_table_name",
        page=page,
    )


def columns_for_table(*, dataset_id: str, namespace_id: str, database: str, table: str, page: int = 1) -> Page:
    return _grouped(
        match={
            "dataset_id": dataset_id,
            "namespace_id": namespace_id,
            "dataset_database_name": database,
            "dataset_table_name": table,
        },
        group_field="dataset_column_name",
        page=page,
    )


def column_rows_for_selection(
    *, dataset_id: str, namespace_id: str, database: str = "", table: str = "", column: str = ""
) -> list[ColumnDocument]:
    """Every column row under the selected path (empty parts select everything below)."""
    mongo_connect()
    query = {"dataset_id": dataset_id, "namespace_id": namespace_id}
    for field, value in (
        ("dataset_database_name", database),
        ("dataset_table_name", table),
        ("dataset_column_name", column),
    ):
        if value:
            query[field] = value
    return list(ColumnDocument.objects(__raw__=query).order_by("line"))


def datapoints_by_ids(*, dataset_id: str, data_point_ids: list[str]) -> dict[str, DataPointDocument]:
    """Data points by key, looked up by `_id` one by one (the only lookup FerretDB indexes)."""
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


def columns_for_datapoint(*, dataset_id: str, data_point_id: str) -> list[ColumnDocument]:
    mongo_connect()
    return list(
        ColumnDocument.objects(dataset_id=dataset_id, data_point_id=data_point_id).order_by(
            "namespace_id", "dataset_database_name", "dataset_table_name", "dataset_column_name"
        )
    )


def anomalies_for_record(*, dataset_id: str, file: str, line: int) -> list[AnomalyDocument]:
    mongo_connect()
    return list(AnomalyDocument.objects(dataset_id=dataset_id, file=file, line=line))


def anomalies_list(
    *, dataset_id: str, file: str = "", code: str = "", severity: str = "", page: int = 1
) -> Page:
    mongo_connect()
    page = _page_number(page)
    query = {"dataset_id": dataset_id}
    for field, value in (("file", file), ("code", code), ("severity", severity)):
        if value:
            query[field] = value
    documents = AnomalyDocument.objects(__raw__=query).order_by("id")
    total = documents.count()
    items = list(documents.skip((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return Page(items=items, number=page, total=total)
