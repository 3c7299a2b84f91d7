"""Cutting cells: columns joined from parser chunks; the key kept as strings, other fields as Categoricals."""

import numpy as np
import pandas as pd
import pytest

from contract.vocabularies import Vocabularies
from engine import cells
from engine.read import file_read
from engine.run import pipeline_run
from engine.structure import structure_check
from engine.values import values_check

HEADER = "namespace_id,namespace_option_name,namespace_option_standard_name"


@pytest.fixture
def tiny_chunks(monkeypatch):
    monkeypatch.setattr(cells, "_CHUNK_ROWS", 2)


def test_values_seen_in_several_chunks_become_one_category(tiny_chunks):
    # given a value repeated across parser chunks of two rows
    text = HEADER + "\n" + "".join(f"N{i},{'ab'[i % 2]},x\n" for i in range(7))
    # when read
    state = file_read(name="namespaces", data=text.encode())
    # then the values are the cells, each distinct value one category, the key plain strings
    assert state.records["namespace_option_name"].tolist() == ["a", "b", "a", "b", "a", "b", "a"]
    assert state.records["namespace_option_standard_name"].cat.categories.tolist().count("x") == 1
    assert state.records["namespace_id"].dtype == object
    assert state.records["namespace_id"].tolist() == [f"N{i}" for i in range(7)]


def test_column_join_keeps_codes_aligned_with_records():
    pieces = [cells.cells_factorize(np.array(v, dtype=object), key=False) for v in (["b", "a", "b"], ["c", "a"])]
    column = cells.column_join(pieces, size=5, kept=slice(1, None))
    assert column.tolist() == ["a", "b", "c", "a"]
    assert sorted(column.cat.categories) == ["a", "b", "c"]


def test_whitespace_trimmed_into_an_existing_or_a_new_category(tiny_chunks):
    # given padded values: one whose trimmed form is used elsewhere, one whose is not
    text = HEADER + "\nN1,a,x\nN2, a ,x\nN3,\tnew ,x\nN4, a ,x\n"
    state = file_read(name="namespaces", data=text.encode())
    # when the values are checked
    structure_check(state=state)
    values_check(state=state, vocabularies=Vocabularies())
    # then the column holds the trimmed values, and the anomalies the raw cells
    assert state.records["namespace_option_name"].tolist() == ["a", "a", "new", "a"]
    anomalies = pd.concat(state.anomalies)
    assert anomalies["value"].tolist() == [" a ", "\tnew ", " a "]
    assert anomalies["line"].tolist() == [3, 4, 5]


def test_persisted_records_from_categorical_columns_are_plain_values(tiny_chunks):
    text = HEADER + "\nN1, a ,\nN2,b,y\nN3,a,\n"
    datapoints = (
        "data_point_id,data_point_name,data_type,is_derived,approved_abbreviations\n"
        "D1,x,int,yes,A | B\nD2,y,Text,,\nD3,z,int,maybe,A|B\n"
    )
    columns = (
        "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
        "C1,N1,db,t,c,D1\nC2,N2,db,t,c,D2\nC3,N3,db,t,c,D3\n"
    )
    result = pipeline_run(
        files={"namespaces": text.encode(), "datapoints": datapoints.encode(), "columns": columns.encode()}
    )
    assert not result.failed
    namespaces = result.files["namespaces"].records
    assert namespaces["namespace_option_name"].tolist() == ["a", "b", "a"]
    assert namespaces["namespace_option_standard_name"].tolist() == [None, "y", None]
    assert all(isinstance(v, str) for v in namespaces["namespace_id"])
    points = result.files["datapoints"].records
    assert points["data_type"].tolist() == ["integer", "string", "integer"]
    assert points["is_derived"].tolist() == [True, None, "maybe"]
    assert points["approved_abbreviations"].tolist() == [["A", "B"], [], ["A", "B"]]
    assert pd.api.types.is_object_dtype(points["data_type"])
