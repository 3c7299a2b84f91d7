"""The anomaly catalogue: each message and fix, rendered from the values the engine keeps."""

from string import Formatter

from engine import CATALOGUE, SEVERITY, Code, Severity, anomaly_render, message, pipeline_run
from engine.guidance import closest, header_owner, undecodable_line
from sourcelines.lines import cell_spans

NAMESPACES = b"namespace_id,namespace_option_name\nN1,One\nN2,Two\n"
DATAPOINTS = b"data_point_id,data_point_name,data_type\nDP1,One,string\n"
COLUMNS = (
    b"column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
    b"C1,N1,db,t,c,DP1\nC2,N2,db,t,d,\n"
)


def _run(**files: bytes):
    given = {"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": COLUMNS, **files}
    return pipeline_run(files=given)


def _of(result, code: Code) -> list[dict]:
    return result.anomalies[result.anomalies["code"] == str(code)].to_dict("records")


def _messages(result, code: Code) -> list[str]:
    return [anomaly_render(anomaly).message for anomaly in _of(result, code)]


def _fixes(result, code: Code) -> list[str]:
    return [anomaly_render(anomaly).fix for anomaly in _of(result, code)]


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}


def test_every_code_has_one_entry_with_a_fix_an_example_and_a_default_message():
    assert list(CATALOGUE) == list(Code)
    for entry in CATALOGUE.values():
        assert entry.fix
        assert entry.example
        assert entry.when
        assert entry.effect
        assert "default" in entry.messages
    assert SEVERITY[Code.UNKNOWN_REFERENCE] is Severity.ERROR
    assert SEVERITY[Code.NEAR_DUPLICATE] is Severity.INFO


def test_every_fix_template_belongs_to_a_variant_and_needs_no_value_its_message_lacks():
    anomaly_fields = {"file", "field", "value", "target_record"}
    for entry in CATALOGUE.values():
        assert set(entry.fixes) <= set(entry.messages), entry.code
        for variant, template in entry.fixes.items():
            assert _names(template) <= _names(entry.messages[variant]) | anomaly_fields, (entry.code, variant)


def test_a_message_and_its_fix_are_rendered_from_the_values():
    anomaly = {"code": "duplicate-row", "variant": "default", "params": {"line": 14}, "file": "columns"}

    assert anomaly_render(anomaly).message == "same values as line 14; dropped" == message(Code.DUPLICATE_ROW, line=14)
    assert anomaly_render(anomaly).fix == "delete this line: it repeats line 14"


def test_a_variant_without_a_fix_of_its_own_gets_the_general_advice_never_a_blank():
    rendered = anomaly_render({"code": "whitespace", "variant": "default", "params": {}, "value": " x "})

    assert rendered.message == "surrounding whitespace trimmed"
    assert rendered.fix == CATALOGUE[Code.WHITESPACE].fix != ""


def test_a_document_stored_before_values_were_kept_shows_its_message_and_the_general_fix():
    stored = {"code": "duplicate-row", "message": "same values as line 3; dropped", "line": 9}

    rendered = anomaly_render(stored)

    assert rendered.message == "same values as line 3; dropped"
    assert rendered.fix == "Delete the repeated line."


def test_missing_or_odd_values_fall_back_to_the_description_instead_of_failing():
    rendered = anomaly_render({"code": "field-too-large", "variant": "default", "params": {"length": "x"}})

    assert rendered.message == CATALOGUE[Code.FIELD_TOO_LARGE].when
    assert anomaly_render({"code": "no-such-code", "params": {}}) == anomaly_render({"code": "no-such-code"})


def test_invalid_value_lists_the_allowed_words_and_the_closest_one():
    datapoints = b"data_point_id,data_point_name,data_type,is_derived\nDP1,One,strnig,maybe\nDP2,Two,strnig,yes\n"

    result = _run(datapoints=datapoints)

    by_field = {a["field"]: anomaly_render(a) for a in reversed(_of(result, Code.INVALID_VALUE))}
    data_type, is_derived = by_field["data_type"].message, by_field["is_derived"].message
    assert 'did you mean "string"?' in data_type
    assert "allowed: boolean, currency, date" in data_type
    assert "percentage, string, and their synonyms)" in data_type
    assert "did you mean" not in is_derived
    assert "true = 1, t, true, y, yes; false = 0, f, false, n, no" in is_derived
    assert by_field["data_type"].fix == 'replace "strnig" with "string"'
    assert by_field["is_derived"].fix == "use one of: true = 1, t, true, y, yes; false = 0, f, false, n, no"
    # one params dict per distinct value, shared by its rows
    first, second = (a["params"] for a in _of(result, Code.INVALID_VALUE) if a["field"] == "data_type")
    assert first is second
    assert first == {"allowed": first["allowed"], "closest": "string"}


def test_a_misspelt_header_column_names_the_expected_one():
    namespaces = b"namespace_idd,namespace_option_name\nN1,One\n"

    result = _run(namespaces=namespaces)

    assert _messages(result, Code.HEADER_UNKNOWN_COLUMN) == [
        'column "namespace_idd" is no field of namespaces; ignored. Did you mean "namespace_id"?'
    ]
    assert _messages(result, Code.HEADER_MISSING_COLUMN) == [
        'required field "namespace_id" has no column; did you mean "namespace_idd" (header column 1)?'
    ]
    assert _fixes(result, Code.HEADER_MISSING_COLUMN) == ['rename header column 1 "namespace_idd" to "namespace_id"']
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
    assert undecodable_line(b"a\rb\nc\xff") == 3
    assert undecodable_line(b"fine") is None


def test_unknown_reference_says_when_the_target_exists_but_was_rejected():
    namespaces = b"namespace_id,namespace_option_name\nN1,One\nN2,\n"

    result = _run(namespaces=namespaces)

    assert _messages(result, Code.UNKNOWN_REFERENCE) == [
        '"N2" is on namespaces line 3 but that record was rejected (required-blank); record rejected'
    ]
    assert _fixes(result, Code.UNKNOWN_REFERENCE) == [
        "fix namespaces line 3 (required-blank), or correct this reference"
    ]
    assert _of(result, Code.UNKNOWN_REFERENCE)[0]["params"] == {
        "target": "namespaces",
        "line": 3,
        "rejected_code": "required-blank",
    }


def test_unknown_reference_to_nothing_keeps_the_plain_message():
    columns = COLUMNS.replace(b"C2,N2", b"C2,N9")

    result = _run(columns=columns)

    assert _messages(result, Code.UNKNOWN_REFERENCE) == ["names no persisted record of namespaces; record rejected"]
    assert _fixes(result, Code.UNKNOWN_REFERENCE) == ["add namespace N9 to namespaces, or correct this reference"]


def test_near_duplicate_keeps_the_frequent_value_and_its_count_so_pages_can_link_them():
    rows = b"".join(b"C%d,N1,risk_warehouse,t,c%d,\n" % (i, i) for i in range(6)) + b"C9,N1,rixk_warehouse,t,z,\n"
    columns = COLUMNS.split(b"\n")[0] + b"\n" + rows

    [anomaly] = _of(_run(columns=columns), Code.NEAR_DUPLICATE)

    assert (anomaly["value"], anomaly["variant"], anomaly["params"]) == (
        "rixk_warehouse",
        "default",
        {"frequent": "risk_warehouse", "count": 6},
    )
    assert anomaly_render(anomaly) == (
        '"rixk_warehouse" looks like a variant of "risk_warehouse" (used by 6 records)',
        'replace "rixk_warehouse" with "risk_warehouse"',
    )


def test_duplicates_keep_the_earlier_line():
    namespaces = b"namespace_id,namespace_option_name\nN1,One\nN2,Two\nN1,One\nN2,Other\n"

    result = _run(namespaces=namespaces)

    assert [a["params"] for a in _of(result, Code.DUPLICATE_ROW)] == [{"line": 2}]
    assert [a["params"] for a in _of(result, Code.DUPLICATE_KEY)] == [{"line": 3}]
    assert _fixes(result, Code.DUPLICATE_KEY) == [
        "give this record its own namespace_id, or merge it with the record on line 3"
    ]


def test_cells_are_cut_with_quotes_and_line_breaks_inside_them():
    text = 'a,"b,""c""\nd", e '

    assert [text[s:e] for s, e, _ in cell_spans(text, ",")] == ["a", '"b,""c""\nd"', " e "]
