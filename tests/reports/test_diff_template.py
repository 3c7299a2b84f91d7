"""The "What changed" fragment renders the diff document, escaped."""

import json

from django.template.loader import render_to_string

from engine import pipeline_run
from reports.diff import diff_json, version_diff

NAMESPACES = "namespace_id,namespace_option_name\nN1,One\nN2,Two\n"
DATAPOINTS = "data_point_id,data_point_name,data_type\nDP1,One,string\n"
COLUMNS = (
    "column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name,data_point_id\n"
    "C1,N1,db,t,c1,DP1\nC2,N2,db,t,c2,\n"
)


def document(*, before: dict, after: dict, limit: int = 500) -> dict:
    def run(files):
        return pipeline_run(files={name: text.encode() for name, text in files.items()})

    base = {"namespaces": NAMESPACES, "datapoints": DATAPOINTS, "columns": COLUMNS}
    diff = version_diff(before=run({**base, **before}), after=run({**base, **after}))
    return json.loads(diff_json(diff, limit=limit))


def test_fragment_lists_changes_and_escapes_values():
    # given a namespace renamed to markup, a mapping moved, and a new anomaly
    diff = document(
        before={},
        after={
            "namespaces": NAMESPACES.replace("N1,One", 'N1,<script>alert("x")</script>'),
            "columns": COLUMNS.replace("C2,N2,db,t,c2,", "C2,N2,db,t2, c2 ,"),
        },
    )
    # when the fragment is rendered
    html = render_to_string("uploads/_version_diff.html", {"diff": diff, "csv_url": "/d/1/diff.csv"})
    # then the markup is shown as text, never run
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # and each section, the move, the new anomaly and the counts per code are there
    assert 'id="diff-namespaces"' in html
    assert 'id="diff-columns"' in html
    assert 'id="diff-anomalies"' in html
    assert "Column mappings" in html
    assert "dataset_table_name" in html
    assert "moved" in html
    assert "<code>whitespace</code>" in html
    assert 'href="/d/1/diff.csv"' in html
    assert "style=" not in html
    assert "<script" not in html


def test_fragment_says_when_nothing_changed_and_when_rows_are_cut():
    same = render_to_string("uploads/_version_diff.html", {"diff": document(before={}, after={})})
    assert "Both versions hold the same records and the same anomalies." in same

    extra = "".join(f"N{i},Name {i}\n" for i in range(3, 8))
    cut = render_to_string(
        "uploads/_version_diff.html",
        {"diff": document(before={}, after={"namespaces": NAMESPACES + extra}, limit=2)},
    )
    assert "The first 2 of 5 are listed; the CSV download holds them all." in cut
    assert "Both versions hold the same" not in cut


def test_fragment_warns_when_a_version_failed():
    diff = document(before={}, after={"columns": "column_id\nC1\n"})
    html = render_to_string("uploads/_version_diff.html", {"diff": diff})
    assert "This version failed: it has no records" in html
