"""The anomaly catalogue, and each message that tells a user how to fix an input."""

from engine import CATALOGUE, SEVERITY, Code, Severity, message, message_values, pipeline_run
from engine.guidance import closest, header_owner, undecodable_line
from engine.lines import cell_spans

NAMESPACES = b"namespace_id,namespace_option_name\nN1,One\nN2,Two\n"
DATAPOINTS = b"data_point_id,data_point_name,data_type\nDP1,One,string\n"
COLUMNS = (
    b"column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
    b"C1,N1,db,t,c,DP1\nC2,N2,db,t,d,\n"
)


def _run(**files: bytes):
    given = {"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": COLUMNS, **files}
    return pipeline_run(files=given)


def _messages(result, code: Code) -> list[str]:
    return result.anomalies.loc[result.anomalies["code"] == str(code), "message"].tolist()


def test_every_code_has_one_entry_with_a_fix_an_example_and_a_default_message():
    assert list(CATALOGUE) == list(Code)
    for entry in CATALOGUE.values():
        assert entry.fix and entry.example and entry.when and entry.effect and "default" in entry.messages
    assert SEVERITY[Code.UNKNOWN_REFERENCE] is Severity.ERROR and SEVERITY[Code.NEAR_DUPLICATE] is Severity.INFO


def test_a_message_is_read_back_into_the_values_it_was_made_of():
    text = message(Code.DUPLICATE_ROW, line=14)

    assert text == "same values as line 14; dropped"
    assert message_values("duplicate-row", text) == {"line": "14"}
    assert message_values("near-duplicate", message(Code.NEAR_DUPLICATE, value="a_b", variant="ab", count=9)) == {
        "value": "a_b",
        "variant": "ab",
        "count": "9",
    }
    assert message_values("no-such-code", "x") == {} and message_values("duplicate-row", "other") == {}


def test_invalid_value_lists_the_allowed_words_and_the_closest_one():
    datapoints = b"data_point_id,data_point_name,data_type,is_derived\nDP1,One,strnig,maybe\nDP2,Two,strnig,yes\n"

    result = _run(datapoints=datapoints)

    by_field = result.anomalies[result.anomalies["code"] == "invalid-value"].groupby("field")["message"].first()
    data_type, is_derived = by_field["data_type"], by_field["is_derived"]
    assert 'did you mean "string"?' in data_type and "allowed: boolean, currency, date" in data_type
    assert "percentage, string, and their synonyms)" in data_type
    assert "did you mean" not in is_derived and "true = 1, t, true, y, yes; false = 0, f, false, n, no" in is_derived


def test_a_misspelt_header_column_names_the_expected_one():
    namespaces = b"namespace_idd,namespace_option_name\nN1,One\n"

    result = _run(namespaces=namespaces)

    assert _messages(result, Code.HEADER_UNKNOWN_COLUMN) == [
        'column "namespace_idd" is no field of namespaces; ignored. Did you mean "namespace_id"?'
    ]
    assert _messages(result, Code.HEADER_MISSING_COLUMN) == [
        'required field "namespace_id" has no column; did you mean "namespace_idd" (header column 1)?'
    ]
    assert closest("Data_Poin_Name", ["data_point_id", "data_point_name"]) == "data_point_name"
    assert closest("comment", ["data_point_id", "data_point_name"]) is None


def test_swapped_files_are_named_as_such():
    result = _run(namespaces=DATAPOINTS, datapoints=NAMESPACES)

    assert result.failed
    assert "the header looks like the datapoints file: were the files swapped?" in result.error
    assert all("looks like the namespaces file" in m for m in _messages(result, Code.HEADER_MISSING_COLUMN)[-3:])
    assert header_owner(["namespace_id", "namespace_option_name"], "namespaces") is None


def test_file_encoding_names_the_first_line_with_an_undecodable_byte():
    namespaces = b"namespace_id,namespace_option_name\r\nN1,One\r\nN2,Z\xfcrich\r\n"

    result = _run(namespaces=namespaces)

    assert _messages(result, Code.FILE_ENCODING) == [
        "not UTF-8 (the first undecodable byte is on line 3); read as cp1252"
    ]
    assert undecodable_line(b"a\rb\nc\xff") == 3 and undecodable_line(b"fine") is None


def test_unknown_reference_says_when_the_target_exists_but_was_rejected():
    namespaces = b"namespace_id,namespace_option_name\nN1,One\nN2,\n"

    result = _run(namespaces=namespaces)

    assert _messages(result, Code.UNKNOWN_REFERENCE) == [
        '"N2" is on namespaces line 3 but that record was rejected (required-blank); record rejected'
    ]


def test_unknown_reference_to_nothing_keeps_the_plain_message():
    columns = COLUMNS.replace(b"C2,N2", b"C2,N9")

    assert _messages(_run(columns=columns), Code.UNKNOWN_REFERENCE) == [
        "names no persisted record of namespaces; record rejected"
    ]


def test_near_duplicate_names_both_values_so_pages_can_link_them():
    rows = b"".join(b"C%d,N1,risk_warehouse,t,c%d,\n" % (i, i) for i in range(6)) + b"C9,N1,rixk_warehouse,t,z,\n"
    columns = COLUMNS.split(b"\n")[0] + b"\n" + rows

    text = _messages(_run(columns=columns), Code.NEAR_DUPLICATE)[0]

    assert message_values("near-duplicate", text) == {
        "value": "rixk_warehouse",
        "variant": "risk_warehouse",
        "count": "6",
    }


def test_cells_are_cut_with_quotes_and_line_breaks_inside_them():
    text = 'a,"b,""c""\nd", e '

    assert [text[s:e] for s, e, _ in cell_spans(text, ",")] == ["a", '"b,""c""\nd"', " e "]
