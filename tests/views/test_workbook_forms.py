"""The workbook field of the upload forms: the three files or one workbook, not both, with clear
errors; rows only (nothing processed)."""

import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import published_dataset
from uploads.forms import FILES_OR_WORKBOOK, NOTHING_CHOSEN
from uploads.models import Dataset
from uploads.workbook_template import workbook_template

pytestmark = pytest.mark.django_db

CSV = b"a,b\n1,2\n"
BOOK = b"PK\x03\x04 a workbook, checked by the engine, not by the form"


@pytest.fixture
def steward(client):
    user = get_user_model().objects.create_user(username="steward", password="pw-for-tests-only")
    client.force_login(user)
    return user


def _files(**names) -> dict:
    return {f"{file}_file": SimpleUploadedFile(name, CSV) for file, name in names.items()}


def test_one_workbook_alone_creates_the_dataset_with_the_three_files_naming_it(client, steward):
    response = client.post("/", {"name": "Book", "workbook": SimpleUploadedFile("Catalog.XLSX", BOOK)})

    assert response.status_code == 302
    version = Dataset.objects.get().versions.get()
    assert version.namespaces.name == version.datapoints.name == version.columns.name
    assert {source["name"] for source in version.sources.values()} == {"Catalog.XLSX"}


def test_the_three_files_and_a_workbook_together_are_refused(client, steward):
    files = _files(namespaces="n.csv", datapoints="d.csv", columns="c.csv")

    response = client.post("/", {"name": "Both", **files, "workbook": SimpleUploadedFile("b.xlsx", BOOK)})

    assert response.status_code == 200
    assert FILES_OR_WORKBOOK in response.content.decode()
    assert not Dataset.objects.exists()


def test_neither_files_nor_a_workbook_says_what_to_choose(client, steward):
    response = client.post("/", {"name": "Nothing"})

    assert NOTHING_CHOSEN in response.content.decode()
    assert not Dataset.objects.exists()


def test_some_files_without_a_workbook_name_the_missing_ones(client, steward):
    response = client.post("/", {"name": "Two", **_files(namespaces="n.csv", datapoints="d.csv")})

    page = response.content.decode()
    assert '<p class="error" id="id_columns_file_error" role="alert">This field is required.</p>' in page
    assert not Dataset.objects.exists()


def test_a_workbook_field_refuses_what_is_no_xlsx_by_name(client, steward):
    response = client.post("/", {"name": "Old", "workbook": SimpleUploadedFile("catalog.xls", BOOK)})

    assert "“catalog.xls” is not an .xlsx workbook" in response.content.decode()
    assert not Dataset.objects.exists()


def test_an_xlsx_is_accepted_in_a_file_field(client, steward):
    files = _files(namespaces="n.xlsx", datapoints="d.csv", columns="c.tsv")

    assert client.post("/", {"name": "Mixed", **files}).status_code == 302


def test_a_new_version_from_one_workbook_replaces_the_three_files(client, steward):
    dataset = published_dataset(dataset__owner=steward)

    response = client.post(f"/datasets/{dataset.pk}/versions/", {"workbook": SimpleUploadedFile("v2.xlsx", BOOK)})

    assert response.status_code == 302
    v2 = dataset.versions.get(number=2)
    assert v2.replaced_files == ["namespaces", "datapoints", "columns"]
    assert v2.columns.name == v2.namespaces.name


def test_a_new_version_with_a_file_and_a_workbook_is_refused(client, steward):
    dataset = published_dataset(dataset__owner=steward)
    fields = {**_files(columns="c.csv"), "workbook": SimpleUploadedFile("v2.xlsx", BOOK)}

    response = client.post(f"/datasets/{dataset.pk}/versions/", fields)

    assert response.status_code == 400
    assert FILES_OR_WORKBOOK in response.content.decode()
    assert dataset.versions.count() == 1


def test_the_template_workbook_is_the_same_every_time_with_a_sheet_per_file(client, steward):
    first = client.get("/help/templates/catalog-template.xlsx")

    # written again (not the cached bytes): the same bytes
    assert first.status_code == 200
    assert first.content == workbook_template.__wrapped__()
    assert first["Content-Disposition"] == 'attachment; filename="catalog-template.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(first.content))
    assert book.sheetnames == ["namespaces", "datapoints", "columns"]
    assert [c.value for c in book["namespaces"][1]] == [
        "namespace_id",
        "namespace_option_name",
        "namespace_option_standard_name",
    ]
