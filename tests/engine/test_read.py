"""Reading: decoding, dialects, physical start lines, header mapping and header anomalies."""

import pytest

from engine.read import file_read
from tests.engine.helpers import anomaly_tuples

HEADER = "namespace_id,namespace_option_name,namespace_option_standard_name"


def tuples(state) -> list[tuple]:
    return anomaly_tuples(state.anomalies)


def rows(state) -> list[tuple]:
    fields = [f for f in state.schema.fields if f in state.columns]
    records = state.records[~state.records["blank"]]
    return [tuple(r) for r in records[["line", *fields]].itertuples(index=False)]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiters_are_detected(delimiter):
    # given a file written with this delimiter, with a comma inside one value
    text = f"{HEADER}\nN1,a,b\nN2,x,y\n".replace(",", delimiter)
    text = text.replace("N2" + delimiter + "x", "N2" + delimiter + '"x,1"')
    # when read
    state = file_read(name="namespaces", data=text.encode())
    # then every cell lands in its field
    assert tuples(state) == []
    assert rows(state) == [(2, "N1", "a", "b"), (3, "N2", "x,1", "y")]


def test_quoted_fields_with_doubled_quotes_and_line_breaks_count_physical_lines():
    data = (HEADER + '\nN1,"say ""hi""",x\n\nN2,"two\nlines\nhere",y\nN3,"a,b",""\n').encode()
    state = file_read(name="namespaces", data=data)
    assert rows(state) == [(2, "N1", 'say "hi"', "x"), (4, "N2", "two\nlines\nhere", "y"), (7, "N3", "a,b", "")]


@pytest.mark.parametrize("end", ["\n", "\r\n", "\r"])
def test_line_ends_lf_crlf_cr(end):
    text = end.join([HEADER, "N1,a,b", "", '"N2","multi' + end + 'line",c', "N3,d,e"]) + end
    state = file_read(name="namespaces", data=text.encode())
    assert rows(state) == [(2, "N1", "a", "b"), (4, "N2", "multi" + end + "line", "c"), (6, "N3", "d", "e")]
    assert state.records["blank"].tolist() == [False, True, False, False]


def test_mixed_line_ends_count_each_break_once():
    state = file_read(name="namespaces", data=(HEADER + "\r\nN1,a,b\rN2,c,d\nN3,e,f").encode())
    assert [r[0] for r in rows(state)] == [2, 3, 4]


def test_byte_order_mark_is_dropped_without_anomaly():
    state = file_read(name="namespaces", data=b"\xef\xbb\xbf" + (HEADER + "\nN1,a,b\n").encode())
    assert tuples(state) == []
    assert rows(state) == [(2, "N1", "a", "b")]


def test_cp1252_is_read_with_one_encoding_anomaly():
    state = file_read(name="namespaces", data=(HEADER + "\nN1,caf\xe9,b\nN2,na\xefve,c\n").encode("cp1252"))
    assert tuples(state) == [("namespaces", None, "", "file-encoding")]
    assert rows(state) == [(2, "N1", "café", "b"), (3, "N2", "naïve", "c")]


def test_header_in_any_order_case_and_padding():
    data = b" Namespace_Option_Name ;NAMESPACE_ID  ;namespace_option_standard_name\nx;N1;y\n"
    state = file_read(name="namespaces", data=data)
    assert tuples(state) == []
    assert rows(state) == [(2, "N1", "x", "y")]


def test_header_unknown_and_duplicate_columns_are_ignored():
    data = b"namespace_id,Owner ,namespace_option_name,NAMESPACE_ID\nN1,o,a,N9\n"
    state = file_read(name="namespaces", data=data)
    assert tuples(state) == [
        ("namespaces", 1, "Owner", "header-unknown-column"),
        ("namespaces", 1, "namespace_id", "header-duplicate-column"),
    ]
    assert rows(state) == [(2, "N1", "a")]
    assert state.error is None


def test_header_missing_required_column_is_a_file_level_error():
    state = file_read(name="namespaces", data=b"namespace_id,namespace_option_standard_name\nN1,x\nN2,y\n")
    assert tuples(state) == [("namespaces", 1, "namespace_option_name", "header-missing-column")]
    assert state.error
    assert "namespace_option_name" in state.error


@pytest.mark.parametrize("data", [b"", b"\n", b"  \r\n\n\t\n"])
def test_no_header_line_is_file_empty(data):
    state = file_read(name="namespaces", data=data)
    assert tuples(state) == [("namespaces", None, "", "file-empty")]
    assert state.error


@pytest.mark.parametrize("data", [b"namespace_id\x00,x\n", (HEADER + '\nN1,"open,b\nN2,c,d\n').encode()])
def test_nul_bytes_or_a_quote_open_at_the_end_are_file_not_csv(data):
    state = file_read(name="namespaces", data=data)
    assert tuples(state) == [("namespaces", None, "", "file-not-csv")]


def test_quotes_inside_unquoted_values_are_literal():
    # given quotes the fast path cannot pair up (it falls back to Python's csv module)
    data = (HEADER + '\nN1,5" screen,b\n\nN2,"x"y,c\nN3,d,e\n').encode()
    state = file_read(name="namespaces", data=data)
    assert rows(state) == [(2, "N1", '5" screen', "b"), (4, "N2", "xy", "c"), (5, "N3", "d", "e")]
    assert state.records["blank"].tolist() == [False, True, False, False]


def test_trailing_line_end_is_no_blank_line_but_an_extra_empty_line_is():
    assert state_blank(HEADER + "\nN1,a,b\n") == [False]
    assert state_blank(HEADER + "\nN1,a,b") == [False]
    assert state_blank(HEADER + "\nN1,a,b\n\n") == [False, True]
    assert state_blank(HEADER + "\nN1,a,b\n   \n") == [False, True]


def state_blank(text: str) -> list[bool]:
    return file_read(name="namespaces", data=text.encode()).records["blank"].tolist()


def test_cells_are_counted_outside_quotes():
    data = (HEADER + '\nN1,"a,b,c",x\nN2,y\nN3,"q\n,",z,extra,more\n').encode()
    state = file_read(name="namespaces", data=data)
    assert state.records["cells"].tolist() == [3, 2, 5]
    assert state.records["line"].tolist() == [2, 3, 4]


def test_record_text_is_the_raw_line_without_its_end():
    state = file_read(name="namespaces", data=(HEADER + '\r\nN1, a ,"b\r\nc"\r\n').encode())
    assert state.texts.get([0]) == ['N1, a ,"b\r\nc"']
