"""Keys: duplicate-row (dropped) before duplicate-key (rejected)."""

from tests.engine.helpers import WITH_VALUE, anomaly_tuples, file_checked

HEADER = "namespace_id,namespace_option_name,namespace_option_standard_name"


def checked(text: str):
    state = file_checked("namespaces", text)
    return state, anomaly_tuples(state.anomalies, WITH_VALUE, by_line=True)


def test_exact_copy_after_trimming_is_a_duplicate_row():
    state, found = checked(HEADER + "\nN1,a,b\nN2,c,d\n N1 ,a,b\n")
    assert found == [
        ("namespaces", 4, "namespace_id", "whitespace", " N1 "),
        ("namespaces", 4, "", "duplicate-row", " N1 ,a,b"),
    ]
    assert state.duplicate.tolist() == [False, False, True]
    assert state.rejected.tolist() == [False, False, False]


def test_same_key_other_values_is_a_duplicate_key():
    state, found = checked(HEADER + "\nN1,a,b\nN1,a,c\nN1,a,c\n")
    # the third record copies the second (a duplicate-key record): a duplicate row, not a key conflict
    assert found == [
        ("namespaces", 3, "namespace_id", "duplicate-key", "N1"),
        ("namespaces", 4, "", "duplicate-row", "N1,a,c"),
    ]
    assert state.rejected.tolist() == [False, True, False]
    assert state.duplicate.tolist() == [False, False, True]


def test_keys_compare_case_sensitively():
    _, found = checked(HEADER + "\nN1,a,b\nn1,a,b\n")
    assert found == []


def test_records_rejected_by_required_blank_take_no_part_in_key_checks():
    _, found = checked(HEADER + "\nN1,,b\nN1,,b\nN1,a,b\n")
    assert [t[:4] for t in found] == [
        ("namespaces", 2, "namespace_option_name", "required-blank"),
        ("namespaces", 3, "namespace_option_name", "required-blank"),
    ]


def test_missing_cell_and_empty_cell_compare_equal():
    _, found = checked(HEADER + "\nN1,a,\nN1,a\n")
    assert [t[:4] for t in found] == [("namespaces", 3, "", "missing-cell"), ("namespaces", 3, "", "duplicate-row")]


def test_ignored_columns_do_not_count_for_duplicate_rows():
    _, found = checked("namespace_id,namespace_option_name,comment\nN1,a,x\nN1,a,y\n")
    assert [t[:4] for t in found] == [
        ("namespaces", 1, "comment", "header-unknown-column"),
        ("namespaces", 3, "", "duplicate-row"),
    ]
