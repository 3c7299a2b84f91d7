"""The search index alone: folding, words, prefixes, intersections and true totals; no database."""

import numpy as np
import pandas as pd
import pytest

from catalog import search_index, search_query
from catalog.search_index import search_nodes_build
from catalog.search_query import search_match, search_rows, search_words


def _index(datapoints: pd.DataFrame, columns: pd.DataFrame) -> dict:
    nodes = search_nodes_build(
        make_node=lambda kind, path, **fields: {"kind": kind, "path": path, **fields},
        datapoints=datapoints,
        columns=columns,
    )
    return {(node["kind"], tuple(node["path"])): node for node in nodes}


def _fetcher(index: dict, reads: list | None = None):
    def fetch(kind, path):
        if reads is not None:
            reads.append(kind)
        return index.get((kind, tuple(path)))

    return fetch


@pytest.fixture
def index() -> dict:
    datapoints = pd.DataFrame(
        {
            "data_point_id": ["DP1", "DP2", "DP3"],
            "data_point_name": ["Total Return 1Y", "Independent Director", "Zürich exposure"],
            "data_point_standard_name": [None, "indep_dir", None],
            "data_point_definition": ["Return over one year", None, "Share held in Zurich"],
            "data_type": ["decimal", "boolean", "percentage"],
        }
    )
    columns = pd.DataFrame(
        {
            "column_id": ["C1", "C2", "C3", "C4"],
            "namespace_id": ["N1", "N1", "N1", "N2"],
            "database": ["rixk_warehouse", "risk_warehouse", "risk_warehouse", "esg"],
            "table": ["t", "t", "t", "carbon"],
            "column": ["a", "b", "c", "d"],
            "owner": ["Equity Research", None, "Zürich Team", "ESG Desk"],
            "data_point_id": ["DP1", None, "DP3", "DP3"],
        }
    )
    return _index(datapoints, columns)


def _found(index: dict, query: str) -> tuple[list[str], list[str]]:
    fetch = _fetcher(index)
    matches = search_match(fetch=fetch, query=query)
    datapoints = search_rows(fetch=fetch, kind="datapoint", positions=matches.datapoints)
    columns = search_rows(fetch=fetch, kind="column", positions=matches.columns)
    return [d["data_point_id"] for d in datapoints], [c["column_id"] for c in columns]


def test_words_are_folded_and_cut_at_punctuation():
    assert search_words("Zürich_Re 1Y") == ["zurich", "re", "1y"]
    assert search_words("STRASSE Straße") == ["strasse"]
    assert search_words("  --  ") == []


@pytest.mark.parametrize(
    ("query", "datapoints", "columns"),
    [
        ("indep", ["DP2"], []),  # a prefix
        ("zurich", ["DP3"], ["C3"]),  # accents folded, in a name, a definition and an owner
        ("ZÜRICH", ["DP3"], ["C3"]),
        ("rixk_warehouse", [], ["C1"]),  # an exact value with punctuation
        ("warehouse", [], ["C1", "C2", "C3"]),
        ("c2", [], ["C2"]),  # a column id
        ("equity res", [], ["C1"]),  # an owner, every word a prefix
        ("return year", ["DP1"], []),  # words from two fields of one record
        ("nothing here", [], []),
    ],
)
def test_a_query_finds_what_holds_every_word(index, query, datapoints, columns):
    assert _found(index, query) == (datapoints, columns)


def test_a_one_letter_word_matches_whole_words_only(index):
    # `t` is a table name; as a prefix it would match nearly every record
    assert _found(index, "t") == ([], ["C1", "C2", "C3"])


def test_totals_are_true_beyond_every_chunk(monkeypatch):
    for module in (search_index, search_query):  # the build's chunks and the query's alike
        monkeypatch.setattr(module, "POSTINGS_CHUNK", 64)
        monkeypatch.setattr(module, "ROWS_CHUNK", 7)
    n = 1_000
    columns = pd.DataFrame(
        {
            "column_id": [f"C{i}" for i in range(n)],
            "namespace_id": "N1",
            "database": np.where(np.arange(n) % 3 == 0, "warehouse_a", "lake"),
            "table": [f"t{i % 17}" for i in range(n)],
            "column": [f"col_{i}" for i in range(n)],
            "owner": None,
            "data_point_id": None,
        }
    )
    empty = pd.DataFrame({f: pd.Series(dtype=object) for f in (*search_index.DATAPOINT_SEARCHED, "data_type")})
    index = _index(empty, columns)
    reads: list[str] = []
    fetch = _fetcher(index, reads)
    matches = search_match(fetch=fetch, query="warehouse")
    assert len(matches.columns) == 334  # every third row, not a capped count
    assert reads.count("search_words") <= 2
    rows = search_rows(fetch=fetch, kind="column", positions=matches.columns[-5:])
    assert [r["column_id"] for r in rows] == [f"C{i}" for i in range(987, 1000, 3)]
    both = search_match(fetch=fetch, query="warehouse t1")  # t1, t10 … t16 as prefixes
    expected = [i for i in range(n) if i % 3 == 0 and str(i % 17).startswith("1")]
    expected.sort(key=lambda i: i % 17 != 1)  # the whole word `t1` first, then the prefixes, each in order
    assert search_rows(fetch=fetch, kind="column", positions=both.columns) == [
        {
            "column_id": f"C{i}",
            "namespace_id": "N1",
            "database": "warehouse_a",
            "table": f"t{i % 17}",
            "column": f"col_{i}",
        }
        for i in expected
    ]


def test_an_empty_dataset_has_an_index_that_finds_nothing():
    empty_dp = pd.DataFrame({f: pd.Series(dtype=object) for f in (*search_index.DATAPOINT_SEARCHED, "data_type")})
    empty_cols = pd.DataFrame({f: pd.Series(dtype=object) for f in search_index.COLUMN_SHOWN})
    matches = search_match(fetch=_fetcher(_index(empty_dp, empty_cols)), query="anything")
    assert matches.datapoints.size == 0
    assert matches.columns.size == 0


@pytest.fixture
def ranked_index() -> dict:
    datapoints = pd.DataFrame(
        {
            "data_point_id": ["DP1", "DP2", "DP3"],
            "data_point_name": ["Total Return 1Y", "Methodology note", "Return"],
            "approved_abbreviations": [["TR1Y", "TR"], [], ["RET"]],
            "methodology_reference": ["MR-001", "MR-003", None],
            "data_point_definition": [None, "See MR-003 and MR 003 for details", None],
            "data_type": ["decimal", "string", "decimal"],
        }
    )
    owners = ["Equity Research"] * 6 + ["equity-research", "Equity Research Team", "EQUITY RESEARCH"]
    columns = pd.DataFrame(
        {
            "column_id": [f"C{i}" for i in range(len(owners))],
            "namespace_id": ["N1"] * 4 + ["N2"] * 5,
            "namespace_name": ["Asset Management"] * 4 + ["Développement"] * 5,
            "database": "db",
            "table": "t",
            "column": [f"c{i}" for i in range(len(owners))],
            "owner": owners,
            "data_point_id": None,
        }
    )
    return _index(datapoints, columns)


def test_the_value_typed_comes_first_then_its_words_then_the_rest(ranked_index):
    # C6 holds exactly `equity-research`; C0-C5 and C8 hold its words as the whole value; C7 more
    assert _found(ranked_index, "equity-research")[1] == ["C6", "C0", "C1", "C2", "C3", "C4", "C5", "C8", "C7"]
    assert _found(ranked_index, "Equity Research")[1] == ["C0", "C1", "C2", "C3", "C4", "C5", "C8", "C6", "C7"]
    # a whole word before a prefix: `return` is DP3's whole name, DP1 holds it among other words
    assert _found(ranked_index, "return")[0] == ["DP3", "DP1"]


@pytest.mark.parametrize(
    ("query", "datapoints", "columns"),
    [
        ("Asset Management", [], ["C0", "C1", "C2", "C3"]),  # a namespace's name
        ("developpement", [], ["C4", "C5", "C6", "C7", "C8"]),  # its accents folded
        ("Développement", [], ["C4", "C5", "C6", "C7", "C8"]),
        ("TR1Y", ["DP1"], []),  # an abbreviation
        ("ret", ["DP3", "DP1"], []),  # an abbreviation held whole first, then a prefix of a name
        ("MR-003", ["DP2"], []),  # a methodology reference (DP2's definition names it too)
        ("MR-001", ["DP1"], []),
    ],
)
def test_names_abbreviations_and_methodology_references_are_found(ranked_index, query, datapoints, columns):
    assert _found(ranked_index, query) == (datapoints, columns)


def test_results_carry_the_namespace_name(ranked_index):
    fetch = _fetcher(ranked_index)
    matches = search_match(fetch=fetch, query="c4")
    [row] = search_rows(fetch=fetch, kind="column", positions=matches.columns)
    assert row["namespace_id"] == "N2"
    assert row["namespace_name"] == "Développement"


def test_the_typed_words_side_by_side_in_a_name_come_before_the_same_words_apart():
    datapoints = pd.DataFrame(
        {
            "data_point_id": ["DP0", "DP1", "DP2"],
            "data_point_name": ["Return of the total fund", "Total Return 1Y", "Total return"],
            "data_type": "decimal",
        }
    )
    columns = pd.DataFrame({field: pd.Series(dtype=object) for field in search_index.COLUMN_SHOWN})
    index = _index(datapoints, columns)
    # DP2 is the words typed, DP1 holds them side by side, DP0 holds them apart
    assert _found(index, "total return")[0] == ["DP2", "DP1", "DP0"]
    assert _found(index, "return total")[0] == ["DP0", "DP1", "DP2"]  # no name holds them in this order
