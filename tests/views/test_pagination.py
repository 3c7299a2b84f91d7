"""Pages of the browse, anomaly and search lists: Django's Paginator over the browse index and the
search matches, the page links keeping the other parameters of the query string."""

import re

import pytest
from django.core.files.base import ContentFile

from uploads.models import Dataset
from uploads.processing import version_process
from uploads.services import dataset_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo")]

NAMESPACES = 130  # three pages of 50 in browse and, all but one unused, in the anomaly list
DATAPOINTS = 60  # three pages of 25 in search


@pytest.fixture
def many() -> Dataset:
    namespaces = "namespace_id,namespace_option_name,namespace_option_standard_name\n" + "".join(
        f"N{n:03},Name {n},NAME_{n}\n" for n in range(1, NAMESPACES + 1)
    )
    datapoints = "data_point_id,data_point_name,data_point_standard_name,data_type\n" + "".join(
        f"DP{n:03},Total Return {n},TOTAL_RETURN_{n},Decimal\n" for n in range(1, DATAPOINTS + 1)
    )
    columns = "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
    columns += "".join(f"C{n:03},N001,db,t,c{n},DP{n:03}\n" for n in range(1, DATAPOINTS + 1))
    files = {"namespaces": namespaces, "datapoints": datapoints, "columns": columns}
    uploads = {file: ContentFile(text.encode(), name=f"{file}.csv") for file, text in files.items()}
    version = dataset_create(name="Many", owner=None, files=uploads, enqueue=False)
    version_process(version_id=str(version.pk))
    return Dataset.objects.get(pk=version.dataset_id)


def _ids(html: str, prefix: str) -> list[str]:
    return sorted(set(re.findall(rf">({prefix}\d{{3}})<", html)))


def test_browse_pages_show_their_items_and_link_to_their_neighbours(admin_client, many):
    html = admin_client.get(f"/datasets/{many.pk}/browse/", {"page": "2"}).content.decode()

    assert _ids(html, "N") == [f"N{n:03}" for n in range(51, 101)]
    assert "Page 2 of 3" in html
    assert 'href="?page=1" rel="prev"' in html
    assert 'href="?page=3" rel="next"' in html
    assert 'href="?page=2" aria-current="page" aria-label="Page 2, current"' in html


@pytest.mark.parametrize(("asked", "shown"), [("abc", 1), ("", 1), ("99", 3), ("0", 3)])
def test_a_page_that_is_no_page_shows_the_first_or_out_of_range_the_last(admin_client, many, asked, shown):
    html = admin_client.get(f"/datasets/{many.pk}/browse/", {"page": asked}).content.decode()

    assert f"Page {shown} of 3" in html
    assert _ids(html, "N")[0] == f"N{(shown - 1) * 50 + 1:03}"


def test_anomaly_pages_keep_the_filters(admin_client, many):
    html = admin_client.get(f"/datasets/{many.pk}/anomalies/", {"code": "unused-record", "page": "2"}).content.decode()

    assert "129 anomalies match the filters" in html
    assert 'href="?code=unused-record&amp;page=3" rel="next"' in html
    assert 'href="?code=unused-record&amp;page=1" rel="prev"' in html


def test_each_search_list_pages_on_its_own_and_keeps_the_other_s_page(admin_client, many):
    html = admin_client.get(f"/datasets/{many.pk}/search/", {"q": "total", "cpage": "2"}).content.decode()

    data_points = html[html.index('id="datapoints-title"') : html.index('id="columns-title"')]
    assert _ids(data_points, "DP") == [f"DP{n:03}" for n in range(1, 26)]
    assert 'href="?q=total&amp;cpage=2&amp;dpage=2" rel="next"' in data_points
    html = admin_client.get(f"/datasets/{many.pk}/search/", {"q": "total", "dpage": "3"}).content.decode()
    data_points = html[html.index('id="datapoints-title"') : html.index('id="columns-title"')]
    assert _ids(data_points, "DP") == [f"DP{n:03}" for n in range(51, 61)]
    assert "(60)" in data_points
