"""A dataset's records: browse, a data point, a record, search and the JSON export."""

from uuid import UUID

from django.http import Http404
from ninja import Query, Router
from ninja.errors import HttpError

from api import schemas
from api.operations.common import ERRORS, PAGE_MAX, as_json, page_out, records_key
from catalog import selectors
from catalog.nodes import PAGE_SIZE
from catalog.pages import Pages
from reports.exports import export_build, export_build_for_search

router = Router()


@router.get("/datasets/{dataset_id}/browse", response={200: schemas.Browse, **ERRORS}, tags=["records"])
def browse(
    request,
    dataset_id: UUID,
    namespace: str = Query("", max_length=500),
    database: str = Query("", max_length=500),
    table: str = Query("", max_length=500),
    column: str = Query("", max_length=500),
    version: int | None = Query(None, ge=1, le=PAGE_MAX),
    page: int = Query(1, ge=1, le=PAGE_MAX),
):
    """One level of namespaces → databases → tables → columns → data points; a deeper level
    needs the ones above it."""
    shown, key = records_key(request, dataset_id, version)
    path = [namespace, database, table, column]
    depth = 0
    while depth < len(path) and path[depth]:
        depth += 1
    if any(path[depth:]):
        raise HttpError(400, "A deeper level needs every level above it (namespace, database, table, column).")
    match depth:
        case 0:
            found = selectors.namespaces_for_dataset(version=key, page=page)
        case 1:
            found = selectors.databases_for_namespace(version=key, namespace_id=namespace, page=page)
        case 2:
            found = selectors.tables_for_database(version=key, namespace_id=namespace, database=database, page=page)
        case 3:
            found = selectors.columns_for_table(
                version=key, namespace_id=namespace, database=database, table=table, page=page
            )
        case _:
            mappings = selectors.mappings_for_column(
                version=key, namespace_id=namespace, database=database, table=table, column=column
            )
            found = Pages(mappings, PAGE_SIZE).get_page(page)
    level = ("namespaces", "databases", "tables", "columns", "datapoints")[depth]
    return {"level": level, "version": shown.number, **page_out(found)}


@router.get(
    "/datasets/{dataset_id}/datapoints/{data_point_id}", response={200: schemas.DataPoint, **ERRORS}, tags=["records"]
)
def datapoint(request, dataset_id: UUID, data_point_id: str, page: int = Query(1, ge=1, le=PAGE_MAX)):
    """A data point and every column mapped to it."""
    _, key = records_key(request, dataset_id, None)
    record = selectors.record_get(version=key, file="datapoints", key=data_point_id)
    if record is None:
        raise Http404("No such data point in this dataset.")
    columns = selectors.columns_for_datapoint(version=key, data_point_id=data_point_id, page=page)
    return {"datapoint": as_json(record), "columns": page_out(columns)}


@router.get("/datasets/{dataset_id}/records/{file}/{key}", response={200: dict, **ERRORS}, tags=["records"])
def record(request, dataset_id: UUID, file: schemas.FileName, key: str):
    """A saved record of one of the three files, by its key."""
    _, records = records_key(request, dataset_id, None)
    found = selectors.record_get(version=records, file=file.value, key=key)
    if found is None:
        raise Http404("No such record in this dataset.")
    return as_json(found)


@router.get("/datasets/{dataset_id}/search", response={200: schemas.Search, **ERRORS}, tags=["records"])
def search(
    request,
    dataset_id: UUID,
    q: str = Query(..., min_length=1, max_length=200),
    datapoints_page: int = Query(1, ge=1, le=PAGE_MAX),
    columns_page: int = Query(1, ge=1, le=PAGE_MAX),
):
    """Data points and column rows holding every word of `q`."""
    _, key = records_key(request, dataset_id, None)
    if not q.strip():
        raise HttpError(400, "Search for something (the `q` parameter).")
    found = selectors.dataset_search(
        version=key, query=q.strip(), datapoints_page=datapoints_page, columns_page=columns_page
    )
    return {
        "query": found.query,
        "words": found.words,
        "datapoints": page_out(found.datapoints),
        "columns": page_out(found.columns),
    }


@router.get("/datasets/{dataset_id}/export", response={200: dict, **ERRORS}, tags=["records"])
def export(
    request,
    dataset_id: UUID,
    namespace: str = Query("", max_length=500),
    database: str = Query("", max_length=500),
    table: str = Query("", max_length=500),
    column: str = Query("", max_length=500),
    q: str = Query("", max_length=200),
):
    """The JSON export of a browse selection (`namespace` and below) or of a search (`q`)."""
    _, key = records_key(request, dataset_id, None)
    if q.strip():
        return as_json(export_build_for_search(version=key, query=q.strip()))
    if not namespace.strip():
        raise HttpError(400, "Choose a namespace (the `namespace` parameter) or a search (`q`) to export.")
    selection = {"database": database.strip(), "table": table.strip(), "column": column.strip()}
    return as_json(export_build(version=key, namespace_id=namespace.strip(), **selection))
