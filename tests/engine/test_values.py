"""Values: whitespace, required-blank, invalid-value, and the cleaned values persisted."""

import pytest

from contract import Vocabularies
from engine.values import records_clean
from tests.engine.helpers import WITH_VALUE, anomaly_tuples, file_checked

NAMESPACES = "namespace_id,namespace_option_name,namespace_option_standard_name"
DATAPOINTS = (
    "data_point_id,data_point_name,data_point_standard_name,approved_abbreviations,data_point_definition,"
    "applicable_data_universes,applicable_domicile,data_type,data_point_possible_values,is_derived,methodology_reference"
)


def checked(name: str, text: str | bytes, vocabularies: Vocabularies | None = None):
    state = file_checked(name, text, through="values", vocabularies=vocabularies)
    return state, anomaly_tuples(state.anomalies, WITH_VALUE)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_whitespace_is_trimmed_once_per_record_and_field(delimiter):
    text = f'{NAMESPACES}\n N1 ,a,b\nN2,"  quoted",c\nN3,   ,d\nN4,x,y \n'.replace(",", delimiter)
    state, found = checked("namespaces", text)
    assert found == [
        ("namespaces", 2, "namespace_id", "whitespace", " N1 "),
        ("namespaces", 3, "namespace_option_name", "whitespace", "  quoted"),
        ("namespaces", 5, "namespace_option_standard_name", "whitespace", "y "),
        # whitespace only is blank: required-blank, not whitespace
        ("namespaces", 4, "namespace_option_name", "required-blank", "   "),
    ]
    assert state.records["namespace_id"].tolist() == ["N1", "N2", "N3", "N4"]
    assert state.records["namespace_option_name"].tolist() == ["a", "quoted", "", "x"]
    assert state.rejected.tolist() == [False, False, True, False]


def test_whitespace_includes_tabs_unicode_spaces_and_quoted_line_breaks():
    text = NAMESPACES + '\nN1,a\xa0,b\nN2,"\nc",d\nN3,e,\tf\n'
    _, found = checked("namespaces", text)
    assert [t[:4] for t in found] == [
        ("namespaces", 2, "namespace_option_name", "whitespace"),
        ("namespaces", 3, "namespace_option_name", "whitespace"),
        ("namespaces", 5, "namespace_option_standard_name", "whitespace"),
    ]


def test_required_blank_fires_per_field_including_missing_cells():
    state, found = checked("namespaces", NAMESPACES + "\n,,x\nN2\nN3,a,\n")
    assert [t[:4] for t in found] == [
        ("namespaces", 3, "", "missing-cell"),
        ("namespaces", 2, "namespace_id", "required-blank"),
        ("namespaces", 2, "namespace_option_name", "required-blank"),
        ("namespaces", 3, "namespace_option_name", "required-blank"),
    ]
    assert state.rejected.tolist() == [True, True, False]


def test_invalid_value_in_vocabulary_fields_is_stored_as_given():
    rows = [
        "DP1,One,,,,,,Decimal,,Y,",
        "DP2,Two,,,,,,number,,maybe,",
        "DP3,Three,,,,,,blob,,,",
        "DP4,Four,,,,,,TIMESTAMP,,  no ,",
    ]
    state, found = checked("datapoints", "\n".join([DATAPOINTS, *rows]) + "\n")
    assert [t[:4] for t in found] == [
        ("datapoints", 5, "is_derived", "whitespace"),
        ("datapoints", 4, "data_type", "invalid-value"),
        ("datapoints", 3, "is_derived", "invalid-value"),
    ]
    records = records_clean(state=state, vocabularies=Vocabularies(), persisted=~state.rejected)
    assert records["data_type"].tolist() == ["decimal", "decimal", "blob", "datetime"]
    assert records["is_derived"].tolist() == [True, "maybe", None, False]


def test_vocabularies_can_be_overridden_from_plain_settings():
    vocabularies = Vocabularies.from_settings({"is_derived_true": ["Oui"], "data_type_synonyms": {"Str": "STRING"}})
    state, found = checked(
        "datapoints", DATAPOINTS + "\nDP1,One,,,,,,str,,OUI,\nDP2,Two,,,,,,string,,yes,\n", vocabularies
    )
    assert [t[:4] for t in found] == [("datapoints", 3, "is_derived", "invalid-value")]
    records = records_clean(state=state, vocabularies=vocabularies, persisted=~state.rejected)
    assert records["data_type"].tolist() == ["string", "string"]
    assert records["is_derived"].tolist() == [True, "yes"]


def test_records_are_cleaned_lists_split_and_blanks_none():
    text = DATAPOINTS + '\nDP1, One ,,"A| B ||C",,,,int,,,\n'
    state, _ = checked("datapoints", text)
    records = records_clean(state=state, vocabularies=Vocabularies(), persisted=~state.rejected)
    row = records.iloc[0].to_dict()
    assert row["data_point_name"] == "One"
    assert row["data_point_standard_name"] is None
    assert row["approved_abbreviations"] == ["A", "B", "C"]
    assert row["applicable_domicile"] == []
    assert row["data_type"] == "integer"
    assert row["is_derived"] is None
    assert row["line"] == 2
    assert list(records.columns) == [*DATAPOINTS.split(","), "line"]


def test_fields_without_a_column_are_none_in_records():
    state, _ = checked("namespaces", "namespace_option_name,namespace_id\na,N1\n")
    records = records_clean(state=state, vocabularies=Vocabularies(), persisted=~state.rejected)
    assert records.to_dict("records") == [
        {"namespace_id": "N1", "namespace_option_name": "a", "namespace_option_standard_name": None, "line": 2}
    ]
