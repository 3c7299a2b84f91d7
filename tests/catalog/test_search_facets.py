"""The search's facets alone: counts per namespace name, database and owner, narrowing; no database."""

import numpy as np
import pandas as pd

from catalog import search_facets, search_index
from catalog.search_facets import search_facets as facets_of
from catalog.search_index import search_facet_nodes_build


def _fetcher(columns: pd.DataFrame):
    nodes = search_facet_nodes_build(
        make_node=lambda kind, path, **fields: {"kind": kind, "path": path, **fields}, columns=columns
    )
    index = {(node["kind"], tuple(node["path"])): node for node in nodes}
    return lambda kind, path: index.get((kind, tuple(path)))


COLUMNS = pd.DataFrame(
    {
        "namespace_id": ["N1", "N1", "N1", "N2", "N3"],
        "namespace_name": ["Asset Management", "Asset Management", "Asset Management", "Développement", None],
        "database": ["db", "db", "lake", "lake", "db"],
        "owner": ["Equity Research", None, "Equity Research", "equity-research", None],
    }
)


def _counts(facets, facet):
    return [(value.label, value.count) for value in facets.counts[facet]]


def test_matches_are_counted_by_namespace_name_database_and_owner():
    found = facets_of(fetch=_fetcher(COLUMNS), columns=np.array([4, 0, 2, 3]), chosen={})
    assert _counts(found, "namespace") == [("Asset Management", 2), ("Développement", 1), ("N3", 1)]
    assert _counts(found, "database") == [("db", 2), ("lake", 2)]  # a tie in first-seen order
    assert _counts(found, "owner") == [("Equity Research", 2), ("equity-research", 1)]  # a blank owner is not counted
    assert found.columns.tolist() == [4, 0, 2, 3]  # the ranking's order is kept


def test_a_chosen_value_narrows_the_matches_and_the_counts(monkeypatch):
    for module in (search_index, search_facets):  # the build's chunks and the query's alike
        monkeypatch.setattr(module, "POSTINGS_CHUNK", 2)  # matches spread over three chunks
    found = facets_of(fetch=_fetcher(COLUMNS), columns=np.array([3, 2, 1, 0]), chosen={"database": "lake"})
    assert found.columns.tolist() == [3, 2]
    assert _counts(found, "namespace") == [("Asset Management", 1), ("Développement", 1)]
    nothing = facets_of(fetch=_fetcher(COLUMNS), columns=np.arange(5), chosen={"owner": "nobody"})
    assert nothing.columns.size == 0
    assert nothing.counts["owner"] == []


def test_a_version_indexed_before_facets_is_searched_without_them():
    found = facets_of(fetch=lambda kind, path: None, columns=np.array([1, 2]), chosen={"owner": "x"})
    assert not found.available
    assert found.columns.tolist() == [1, 2]
    assert found.counts == {}
