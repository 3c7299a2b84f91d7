"""version_diff: records, mappings and anomalies compared between two processed versions."""

import csv
import io
import json

from engine import pipeline_run
from reports.diff import DIFF_CSV_COLUMNS, diff_csv, diff_dict, diff_json, version_diff

NAMESPACES = "namespace_id,namespace_option_name\nN1,One\nN2,Two\nN3,Three\n"
DATAPOINTS = (
    "data_point_id,data_point_name,data_type,approved_abbreviations,is_derived\n"
    "DP1,One,string,a|b,yes\nDP2,Two,int,,no\n"
)
COLUMNS_HEADER = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id,"
    "dataset_owner_name\n"
)
COLUMNS = COLUMNS_HEADER + "C1,N1,db,t,c1,DP1,Ann\nC2,N2,db,t,c2,DP2,Ann\nC3,N3,db,t,c3,,Ann\nC4,N1,db,u,c4,DP1,Bob\n"


def version(*, namespaces=NAMESPACES, datapoints=DATAPOINTS, columns=COLUMNS):
    return pipeline_run(
        files={"namespaces": namespaces.encode(), "datapoints": datapoints.encode(), "columns": columns.encode()}
    )


def changes(diff, file):
    frame = diff.records[diff.records["file"] == file]
    return [tuple(row) for row in frame[["change", "key", "field", "before", "after"]].itertuples(index=False)]


def anomaly_changes(diff):
    return [tuple(row) for row in diff.anomalies[["change", "file", "key", "code", "line"]].itertuples(index=False)]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_identical_versions_give_an_empty_diff():
    # given two uploads of the same files
    before, after = version(), version()
    # when they are compared
    diff = version_diff(before=before, after=after)
    # then nothing is listed and every count is zero
    assert diff.empty
    assert diff.summary["namespaces"] == {"added": 0, "removed": 0, "changed": 0}
    assert diff.summary["columns"] == {"added": 0, "removed": 0, "moved": 0, "changed": 0}
    assert diff.summary["anomalies"]["new"] == diff.summary["anomalies"]["resolved"] == 0
    assert csv_rows(diff_csv(diff)) == [list(DIFF_CSV_COLUMNS)]
    document = json.loads(diff_json(diff))
    assert [section["total"] for section in document["records"]] == [0, 0, 0]
    assert document["anomalies"]["rows"] == []


def test_namespaces_added_removed_and_changed_field_by_field():
    # given N2 removed, N4 added and N1 renamed (rows also reordered, so lines differ)
    before = version()
    after = version(
        namespaces="namespace_id,namespace_option_name\nN4,Four\nN3,Three\nN1,Uno\n",
        columns=COLUMNS.replace("C2,N2", "C2,N1"),
    )
    # when compared
    diff = version_diff(before=before, after=after)
    # then each change is listed once, with the record's name standing for added and removed ones
    assert changes(diff, "namespaces") == [
        ("added", "N4", "", None, "Four"),
        ("removed", "N2", "", "Two", None),
        ("changed", "N1", "namespace_option_name", "One", "Uno"),
    ]
    assert diff.summary["namespaces"] == {"added": 1, "removed": 1, "changed": 1}
    # and the line given is where the record now is (where it was, for a removed one)
    lines = diff.records[diff.records["file"] == "namespaces"]["line"].tolist()
    assert lines == [2, 3, 4]


def test_datapoints_changed_fields_are_compared_as_written():
    # given DP1's list, type and flag changed, DP2 removed and DP3 added
    after = version(
        datapoints="data_point_id,data_point_name,data_type,approved_abbreviations,is_derived\n"
        "DP1,One,text,a|c,n\nDP3,Three,string, b | a ,\n",
        columns=COLUMNS.replace(",DP2,", ",DP3,"),
    )
    # when compared
    diff = version_diff(before=version(), after=after)
    # then values show as the steward writes them (lists joined with "|", booleans as words), and a
    # synonym of the same type ("text" is "string") is no change
    assert changes(diff, "datapoints") == [
        ("added", "DP3", "", None, "Three"),
        ("removed", "DP2", "", "Two", None),
        ("changed", "DP1", "approved_abbreviations", "a|b", "a|c"),
        ("changed", "DP1", "is_derived", "true", "false"),
    ]
    assert diff.summary["datapoints"] == {"added": 1, "removed": 1, "changed": 1}


def test_a_list_emptied_or_a_flag_blanked_is_a_change_to_none():
    after = version(datapoints=DATAPOINTS.replace("DP1,One,string,a|b,yes", "DP1,One,string,,"))
    diff = version_diff(before=version(), after=after)
    assert changes(diff, "datapoints") == [
        ("changed", "DP1", "approved_abbreviations", "a|b", None),
        ("changed", "DP1", "is_derived", "true", None),
    ]


def test_mappings_added_removed_moved_and_changed():
    # given C1 moved to another table, C2 to another data point, C3 only changed owner,
    # C4 removed and C5 added
    after = version(
        columns=COLUMNS_HEADER + "C1,N1,db,t9,c1,DP1,Ann\nC2,N2,db,t,c2,DP1,Ann\nC3,N3,db,t,c3,,Cy\n"
        "C5,N2,db,v,c5,DP2,Bob\nC6,N1,db,u,c4,DP1,Bob\n"
    )
    # when compared
    diff = version_diff(before=version(), after=after)
    # then a change of what a mapping links is a move; an owner change alone is a change
    assert changes(diff, "columns") == [
        ("added", "C5", "", None, "N2 / db / v / c5 → DP2"),
        ("added", "C6", "", None, "N1 / db / u / c4 → DP1"),
        ("removed", "C4", "", "N1 / db / u / c4 → DP1", None),
        ("moved", "C1", "dataset_table_name", "t", "t9"),
        ("moved", "C2", "data_point_id", "DP2", "DP1"),
        ("changed", "C3", "dataset_owner_name", "Ann", "Cy"),
    ]
    assert diff.summary["columns"] == {"added": 2, "removed": 1, "moved": 2, "changed": 1}


def test_a_moved_mapping_counts_once_however_many_fields_changed():
    after = version(columns=COLUMNS.replace("C1,N1,db,t,c1,DP1,Ann", "C1,N2,db,t,c9,DP1,Zed"))
    diff = version_diff(before=version(), after=after)
    assert changes(diff, "columns") == [
        ("moved", "C1", "namespace_id", "N1", "N2"),
        ("moved", "C1", "dataset_column_name", "c1", "c9"),
        ("moved", "C1", "dataset_owner_name", "Ann", "Zed"),
    ]
    assert diff.summary["columns"]["moved"] == 1
    assert diff.summary["columns"]["changed"] == 0


def test_anomalies_are_matched_by_file_key_and_code_not_by_line():
    # given a whitespace anomaly on N2 (line 3) and an unknown reference on C3
    before = version(
        namespaces=NAMESPACES.replace("N2,Two", "N2, Two "),
        columns=COLUMNS.replace("C3,N3,db,t,c3,,Ann", "C3,N9,db,t,c3,,Ann"),
    )
    # and a new version with a namespace inserted above N2 (the anomaly now on line 4), C3 mended,
    # and a new whitespace anomaly on N1
    after = version(
        namespaces="namespace_id,namespace_option_name\nN1, One\nN0,Zero\nN2, Two \nN3,Three\n",
        columns=COLUMNS + "C9,N0,db,t,c9,,Ann\n",
    )
    # when compared
    diff = version_diff(before=before, after=after)
    # then the shifted anomaly on N2 is neither new nor resolved; the mended reference is resolved, and
    # so is the unused-record of N3 that it caused
    assert anomaly_changes(diff) == [
        ("new", "namespaces", "N1", "whitespace", 2),
        ("resolved", "namespaces", "N3", "unused-record", 4),
        ("resolved", "columns", "C3", "unknown-reference", 4),
    ]
    assert diff.summary["anomalies"]["new"] == 1
    assert diff.summary["anomalies"]["resolved"] == 2


def test_repeated_anomalies_count_as_a_multiset():
    # given two blank rows, then three (at other lines)
    before = version(namespaces="namespace_id,namespace_option_name\n\nN1,One\n\nN2,Two\nN3,Three\n")
    after = version(namespaces="namespace_id,namespace_option_name\nN1,One\n\n\nN2,Two\nN3,Three\n\n")
    # when compared
    diff = version_diff(before=before, after=after)
    # then exactly one blank row is new: the copy beyond the earlier count
    assert anomaly_changes(diff) == [("new", "namespaces", "", "blank-row", 7)]


def test_counts_per_code_before_and_after():
    before = version(namespaces=NAMESPACES.replace("N2,Two", "N2, Two "))
    after = version(namespaces="namespace_id,namespace_option_name\n\nN1, One\nN2, Two\nN3,Three\n")
    diff = version_diff(before=before, after=after)
    assert diff.codes.to_dict("records") == [
        {"code": "blank-row", "severity": "info", "before": 0, "after": 1},
        {"code": "whitespace", "severity": "info", "before": 1, "after": 2},
    ]
    document = json.loads(diff_json(diff))
    assert document["codes"][1] == {"code": "whitespace", "severity": "info", "before": 1, "after": 2, "difference": 1}


def test_json_document_keeps_the_first_rows_and_the_true_totals():
    # given five namespaces added
    extra = "".join(f"N{i},Name {i}\n" for i in range(4, 9))
    after = version(namespaces=NAMESPACES + extra)
    diff = version_diff(before=version(), after=after)
    # when rendered with a limit of 2
    document = json.loads(diff_json(diff, limit=2))
    namespaces = document["records"][0]
    # then two rows are kept, the total says five and the section is marked truncated
    assert namespaces["file"] == "namespaces"
    assert namespaces["total"] == 5
    assert namespaces["truncated"] is True
    assert [row["key"] for row in namespaces["rows"]] == ["N4", "N5"]
    assert namespaces["rows"][0] == {
        "change": "added",
        "key": "N4",
        "field": "",
        "line": 5,
        "before": None,
        "after": "Name 4",
    }
    assert namespaces["counts"] == {"added": 5, "removed": 0, "changed": 0}
    assert document["records"][1]["truncated"] is False
    # and the five new unused-record anomalies are cut the same way
    assert document["anomalies"]["total"] == 5
    assert len(document["anomalies"]["rows"]) == 2
    assert diff_dict(diff, limit=500)["records"][0]["truncated"] is False


def test_csv_holds_every_change_and_escapes_formulas():
    # given a renamed namespace whose name a spreadsheet would run, and a new anomaly
    after = version(namespaces=NAMESPACES.replace("N1,One", "N1,=HYPERLINK(1)").replace("N3,Three", "N3, -1 "))
    diff = version_diff(before=version(), after=after)
    # when the CSV is written
    rows = csv_rows(diff_csv(diff))
    # then each change is a row, and cells starting with = or - are prefixed with '
    assert rows[0] == list(DIFF_CSV_COLUMNS)
    assert rows[1:] == [
        ["namespaces", "changed", "namespaces", "N1", "namespace_option_name", "", "2", "One", "'=HYPERLINK(1)"],
        ["namespaces", "changed", "namespaces", "N3", "namespace_option_name", "", "4", "Three", "'-1"],
        [
            "anomalies",
            "new",
            "namespaces",
            "N3",
            "namespace_option_name",
            "whitespace",
            "4",
            "",
            diff.anomalies["message"][0],
        ],
    ]


def test_a_failed_version_has_no_records_so_all_show_as_removed():
    # given a new version whose columns file lacks a required column
    after = version(columns="column_id,namespace_id\nC1,N1\n")
    diff = version_diff(before=version(), after=after)
    # then the diff says so, and every record of the earlier version is removed
    assert diff.summary["versions"]["after"]["failed"] is True
    assert diff.summary["namespaces"]["removed"] == 3
    assert diff.summary["columns"]["removed"] == 4
    assert ("new", "columns", "", "header-missing-column", 1) in anomaly_changes(diff)


def test_a_list_column_added_with_blanks_is_no_change():
    # given a version without the applicable_domicile column, then one with it, blank everywhere
    after = version(datapoints=DATAPOINTS.replace("\n", ",\n").replace("is_derived,", "is_derived,applicable_domicile"))
    # then an absent list and an empty one are both blank: nothing changed
    assert version_diff(before=version(), after=after).empty
