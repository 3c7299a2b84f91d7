"""The datasets list: newest first, 25 a page, with status, counts, anomalies and owner."""

import pytest

from tests.factories import published_dataset

pytestmark = pytest.mark.django_db


def test_the_list_is_paged_newest_first_and_shows_each_dataset_s_figures(client, steward):
    for number in range(30):
        published_dataset(
            dataset__name=f"dataset {number:02d}",
            dataset__owner=steward,
            anomalies_total=number,
            counts={
                "namespaces": {"rows_persisted": 3},
                "datapoints": {"rows_persisted": 5},
                "columns": {"rows_persisted": 7},
            },
        )
    client.force_login(steward)

    first = client.get("/").content.decode()
    second = client.get("/", {"page": 2}).content.decode()

    assert "dataset 29" in first
    assert "dataset 05" in first
    assert "dataset 04" not in first
    assert "Page 1 of 2" in first
    assert "3 / 5 / 7" in first
    assert ">steward<" in first
    assert "dataset 04" in second
    assert "dataset 00" in second
    assert "dataset 29" not in second
