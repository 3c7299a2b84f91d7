"""Structure: blank-row, missing-cell, extra-cell, with physical start lines."""

import pytest

from tests.engine.helpers import WITH_VALUE, anomaly_tuples, file_checked

HEADER = "namespace_id,namespace_option_name,namespace_option_standard_name"


def checked(text: str):
    state = file_checked("namespaces", text, through="structure")
    return state, anomaly_tuples(state.anomalies, WITH_VALUE)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_structure_anomalies_on_every_dialect(delimiter, end):
    # given a blank line, a short record, a long record and a quoted line break before them
    lines = [HEADER, 'N1,"two' + end + 'lines",x', "", "N2,a", "N3,a,b,c,d", "  ", "N4,a,b"]
    text = end.join(lines).replace(",", delimiter) + end
    # when checked
    state, found = checked(text)
    # then each is reported on its physical start line, with the raw record as value
    assert [t[:4] for t in found] == [
        ("namespaces", 4, "", "blank-row"),
        ("namespaces", 7, "", "blank-row"),
        ("namespaces", 5, "", "missing-cell"),
        ("namespaces", 6, "", "extra-cell"),
    ]
    assert found[2][4] == "N2,a".replace(",", delimiter)
    assert found[3][4] == "N3,a,b,c,d".replace(",", delimiter)
    assert state.alive.tolist() == [True, False, True, True, False, True]


def test_blank_row_value_is_the_raw_line():
    _, found = checked(HEADER + "\nN1,a,b\n \t \nN2,c,d\n")
    assert found == [("namespaces", 3, "", "blank-row", " \t ")]


def test_a_record_of_empty_cells_is_no_blank_row():
    _, found = checked(HEADER + "\n,,\n")
    assert found == []


def test_missing_cells_are_blank_and_extra_cells_dropped():
    state, found = checked(HEADER + "\nN1,a\nN2,b,c,d\n")
    assert [t[3] for t in found] == ["missing-cell", "extra-cell"]
    assert state.records["namespace_option_standard_name"].tolist() == ["", "c"]
    assert "d" not in state.records.to_numpy()
