"""From an anomaly to its fix: the anomaly list's links and filters, the source-line view, the record
link, the help page and the upload guide, on the sample processed in this process (once for the
module: `processed_sample`)."""

import csv
import io
import re
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.db.models.fields.files import FieldFile

from catalog.mongo import version_collection
from catalog.nodes import node_id, node_pack
from contract import CATALOGUE, SCHEMAS
from reports import source
from tests.factories import processed_dataset
from uploads.models import Dataset
from uploads.processing import version_process
from uploads.services import version_create

# `client` is logged in as `steward` (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mongo", "steward_client")]


@pytest.fixture
def sample(processed_sample) -> Dataset:
    """The sample processed once for the module; read only."""
    return Dataset.objects.get(pk=processed_sample.pk)


def _rows(html: str) -> list[str]:
    return [row for row in re.findall(r"<tr>(.*?)</tr>", html, re.DOTALL) if "data-label" in row]


def test_every_anomaly_row_links_to_its_line_its_code_and_where_saved_its_record(client, steward, sample):
    html = client.get(f"/datasets/{sample.pk}/anomalies/").content.decode()
    rows = {
        re.search(r'data-label="Code">.*?<code>(.*?)</code>', row, re.DOTALL).group(1): row
        for row in _rows(html)
        if 'data-label="File">namespaces' in row or "duplicate-row" not in row
    }

    whitespace = rows["whitespace"]
    assert f"/datasets/{sample.pk}/files/columns/lines/?line=8&amp;field=dataset_column_name&amp;code=whitespace" in (
        whitespace
    )
    assert f"/datasets/{sample.pk}/records/columns/?key=C7" in whitespace
    assert '<span class="ws" title="space">·</span>tr_3y<span class="ws" title="space">·</span>' in whitespace
    assert "/help/anomalies/#whitespace" in whitespace
    # rejected or dropped records have no record link; "same values as line 3" links to line 3
    assert "/records/" not in rows["required-blank"]
    assert "/records/" not in rows["unknown-reference"]
    assert f"/datasets/{sample.pk}/files/namespaces/lines/?line=3" in rows["duplicate-row"].split("→")[-1]
    assert "/records/datapoints/?key=DP5" in rows["unused-record"]


def test_the_code_filter_lists_only_present_codes_with_counts_and_unknown_values_get_a_note(client, steward, sample):
    html = client.get(f"/datasets/{sample.pk}/anomalies/", {"code": "no-such-code", "file": "columns"}).content.decode()

    options = re.findall(
        r'<option value="([a-z-]+)"[^>]*>([^<]*)</option>', html.split('id="f-code"')[1].split("</select>")[0]
    )
    assert ("whitespace", "whitespace (1)") in options
    assert ("duplicate-row", "duplicate-row (2)") in options
    assert not any(code == "file-empty" for code, _ in options)
    assert "No code is called “no-such-code”; that filter is ignored." in html
    assert "Clear filters" in html
    assert "6 anomalies match the filters" in html
    assert html.count('href="/datasets/')
    assert f'href="/datasets/{sample.pk}/anomalies/?file=columns&amp;code=whitespace"' in html


def test_the_source_view_marks_the_cell_and_shows_its_spaces(client, steward, sample):
    html = client.get(
        f"/datasets/{sample.pk}/files/columns/lines/",
        {"line": 8, "field": "dataset_column_name", "code": "whitespace"},
    ).content.decode()

    assert 'id="line-5"' in html
    assert 'id="line-11"' in html
    assert 'id="line-4"' not in html
    assert '<mark><span class="ws" title="space">·</span>tr_3y<span class="ws" title="space">·</span></mark>' in html
    assert "cell 5 (dataset_column_name)" in html


def test_the_source_view_numbers_the_cells_of_an_extra_cell_line_and_marks_the_extra_one(client, steward, sample):
    html = client.get(
        f"/datasets/{sample.pk}/files/columns/lines/", {"line": 12, "code": "extra-cell"}
    ).content.decode()

    assert '<sup class="pos">8</sup><mark>extra</mark>' in html
    assert "cells 8–8 (past the 7 header columns)" in html


def test_a_blank_required_cell_is_marked_as_blank(client, steward, sample):
    html = client.get(
        f"/datasets/{sample.pk}/files/namespaces/lines/",
        {"line": 6, "field": "namespace_option_name", "code": "required-blank"},
    ).content.decode()

    assert 'N4,<mark class="blank">(blank)</mark>,ORPHAN' in html


def test_a_record_spanning_two_lines_is_shown_whole(client, steward, sample):
    html = client.get(
        f"/datasets/{sample.pk}/files/datapoints/lines/", {"line": 4, "field": "is_derived", "code": "invalid-value"}
    ).content.decode()

    record = re.findall(r'<tr class="in-record" id="line-(\d+)">', html)
    assert record == ["4", "5"]
    assert "<mark>maybe</mark>" in html


def test_the_source_view_reads_a_byte_range_not_the_whole_upload(client, steward, monkeypatch):
    lines = ["namespace_id,namespace_option_name"] + [f"N{i},Name {i}" for i in range(1, 3_001)]
    dataset = processed_dataset(
        {
            "namespaces": ("\n".join(lines) + "\n").encode(),
            "datapoints": b"data_point_id,data_point_name,data_type\n",
            "columns": b"column_id,namespace_id,dataset_database_name,dataset_table_name,dataset_column_name\n",
        }
    )
    reads = []
    real = source.storage_read_range
    monkeypatch.setattr(
        "reports.source.storage_read_range", lambda **kw: reads.append(kw["end"] - kw["start"]) or real(**kw)
    )
    upload_name = dataset.current_version.namespaces.name
    real_open = FieldFile.open
    monkeypatch.setattr(
        FieldFile,
        "open",
        lambda self, *a, **kw: pytest.fail("read whole") if self.name == upload_name else real_open(self, *a, **kw),
    )

    html = client.get(f"/datasets/{dataset.pk}/files/namespaces/lines/", {"line": 2_000}).content.decode()

    assert '<td><code class="source-text">N1999,Name<span class="ws" title="space">·</span>1999</code></td>' in html
    assert "Line 2000 of 3001" in html
    assert len(reads) == 2
    assert sum(reads) < 20_000


def test_a_line_past_the_end_says_so(client, steward, sample):
    html = client.get(f"/datasets/{sample.pk}/files/namespaces/lines/", {"line": 99}).content.decode()

    assert "there is no line 99" in html


def test_a_record_link_leads_to_the_record_s_page(client, steward, sample):
    datapoint = client.get(f"/datasets/{sample.pk}/records/datapoints/", {"key": "DP5"})
    column = client.get(f"/datasets/{sample.pk}/records/columns/", {"key": "C7"})
    namespace = client.get(f"/datasets/{sample.pk}/records/namespaces/", {"key": "N1"})
    rejected = client.get(f"/datasets/{sample.pk}/records/namespaces/", {"key": "N4"})

    assert datapoint.status_code == 302
    assert datapoint["Location"].endswith("/datapoint/?id=DP5")
    assert column["Location"].endswith("/browse/?namespace=N1&database=fund_master&table=returns&column=tr_3y")
    assert namespace["Location"].endswith("/browse/?namespace=N1")
    assert rejected.status_code == 404
    with_line = client.get(f"/datasets/{sample.pk}/records/namespaces/", {"key": "N4", "line": "6"})
    assert with_line["Location"].endswith("/files/namespaces/lines/?line=6")


def test_the_help_page_explains_every_code(client, steward):
    html = client.get("/help/anomalies/").content.decode()

    for entry in CATALOGUE.values():
        assert f'id="{entry.code}"' in html
        assert entry.fix.replace("“", "&ldquo;")[:20] in html or entry.fix[:20] in html
    assert "<code>replace &quot;{value}&quot; with &quot;{frequent}&quot;</code>" in html  # the report's fixes


def test_templates_and_the_sample_download(client, steward):
    template = client.get("/help/templates/columns.csv")
    sample = client.get("/help/sample-dataset.zip")

    assert template.content.decode().strip() == ",".join(SCHEMAS["columns"].fields)
    assert client.get("/help/templates/other.csv").status_code == 404
    names = zipfile.ZipFile(io.BytesIO(sample.content)).namelist()
    assert names == ["sample/namespaces.csv", "sample/datapoints.csv", "sample/columns.csv"]


def test_the_upload_form_says_what_each_file_holds(client, steward, settings):
    settings.UPLOAD_MAX_BYTES = 50 * 1_048_576
    html = client.get("/").content.decode()

    assert html.count('accept=".csv,.txt,.tsv,text/csv') == 3
    assert "at most 50 MiB per file" in html
    assert "<code>namespace_option_standard_name</code>" in html
    assert "/help/templates/datapoints.csv" in html
    assert "synonyms" in html
    assert "true = 1, t, true, y, yes" in html


def test_the_line_view_of_an_older_version_reads_that_version_s_upload(client, steward, sample_files):
    sample = processed_dataset(sample_files)  # its own: a new version is published on it
    first = sample.current_version
    renamed = sample_files["columns"].replace(b"tr_3y", b"tr_9z")
    second = version_create(
        dataset=sample, created_by=None, files={"columns": ContentFile(renamed, name="c.csv")}, enqueue=False
    )
    version_process(version_id=str(second.pk))
    sample.refresh_from_db()
    assert sample.current_version_id == second.pk

    current = client.get(f"/datasets/{sample.pk}/files/columns/lines/", {"line": 8}).content.decode()
    older = client.get(f"/datasets/{sample.pk}/versions/{first.number}/files/columns/lines/", {"line": 8}).content
    older_list = client.get(f"/datasets/{sample.pk}/versions/{first.number}/anomalies/").content.decode()

    assert "tr_9z" in current
    assert "tr_3y" not in current
    assert b"tr_3y" in older
    assert b"tr_9z" not in older
    assert b"of version 1" in older
    # the older version's anomalies lead to its own lines, and to no record (browse shows the current one)
    assert f"/datasets/{sample.pk}/versions/{first.number}/files/columns/lines/?line=8" in older_list
    assert "/records/" not in older_list
    assert first.columns_lines.name != second.columns_lines.name


def _cell(row: str, label: str) -> str:
    found = re.search(rf'data-label="{label}"[^>]*>(.*?)</td>', row, re.DOTALL)
    return re.sub(r"<[^>]+>", "", found.group(1)).strip() if found else ""


def _by_code(html: str) -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for row in _rows(html):
        rows.setdefault(_cell(row, "Code"), []).append(row)
    return rows


def test_each_anomaly_shows_its_fix_and_a_first_version_s_are_all_new(client, steward, sample):
    html = client.get(f"/datasets/{sample.pk}/anomalies/").content.decode()
    rows = _by_code(html)

    assert _cell(rows["unknown-reference"][0], "Fix") == "add namespace N9 to namespaces, or correct this reference"
    assert "delete this line: it repeats line 3" in [_cell(row, "Fix") for row in rows["duplicate-row"]]
    assert _cell(rows["whitespace"][0], "Fix") == CATALOGUE["whitespace"].fix
    assert all(_cell(row, "Fix") for row in _rows(html))  # never blank
    assert {_cell(row, "Status") for row in _rows(html)} == {"new"}
    total = sample.current_version.anomalies_total
    assert f'<option value="new" >new ({total})</option>' in html
    assert "known (0)" in html


def _second_version(dataset: Dataset, columns: bytes):
    version = version_create(
        dataset=dataset, created_by=None, files={"columns": ContentFile(columns, name="c.csv")}, enqueue=False
    )
    version_process(version_id=str(version.pk))
    dataset.refresh_from_db()
    assert dataset.current_version_id == version.pk
    return dataset.current_version


def test_a_later_version_tells_new_anomalies_from_known_ones_and_filters_by_status(
    client, steward, sample, sample_files
):
    # given version 2: one row inserted on top (every later line moves down) and one new bad reference
    header, rest = sample_files["columns"].split(b"\n", 1)
    columns = header + b"\nC0,N1,fund_master,returns,tr_0y,DP1,Equity Research\n" + rest
    columns += b"C10,N77,fund_master,returns,tr_10y,DP1,Equity Research\n"
    version = _second_version(sample, columns)

    new = _by_code(client.get(f"/datasets/{sample.pk}/anomalies/", {"status": "new"}).content.decode())
    known = _by_code(client.get(f"/datasets/{sample.pk}/anomalies/", {"status": "known"}).content.decode())

    # the record C7 moved from line 8 to 9: its whitespace is the same problem, known
    assert _cell(known["whitespace"][0], "Line") == "9"
    assert "whitespace" not in new
    # the new reference is new; the old ones (C6 → N9, C8 → DP7) are known
    assert [_cell(row, "Value") for row in new["unknown-reference"]] == ["N77"]
    assert [_cell(row, "Value") for row in known["unknown-reference"]] == ["N9", "DP7"]
    assert {_cell(row, "Status") for rows in known.values() for row in rows} == {"known"}
    # a blank line has no key: its line is its identity, and it moved
    assert "blank-row" in new
    # the report and the stored documents say the same
    with version.anomalies_csv.open("rb") as handle:
        report = list(csv.DictReader(io.StringIO(handle.read().decode("utf-8-sig"))))
    stored = list(version_collection(version=version.records_key, kind="anomalies").find({}, {"_id": 0}))
    assert [row["status"] for row in report] == [document["status"] for document in stored]
    assert {(row["code"], row["value"]) for row in report if row["status"] == "new"} >= {("unknown-reference", "N77")}
    assert all(len(document["fingerprint"]) == 40 and "message" not in document for document in stored)


def test_an_anomaly_stored_before_values_were_kept_still_shows_its_message(client, steward, sample):
    # given a page of the index written before anomalies kept their values: a message, no params, no status
    old = {
        "file": "namespaces",
        "line": 4,
        "field": "",
        "code": "duplicate-row",
        "severity": "warning",
        "value": "N2,Portfolio Holdings,PORTFOLIO_HOLDINGS",
        "message": "same values as line 3; dropped",
        "key": "N2",
    }
    node = {"_id": node_id("anomalies", ["", "", ""]), "kind": "anomalies", "path": ["", "", ""]}
    node.update(page=1, pages=1, total=1, items=[old])
    nodes = version_collection(version=sample.current_version.records_key, kind="browse_nodes")
    nodes.replace_one({"_id": node["_id"]}, node_pack(node))

    [row] = _rows(client.get(f"/datasets/{sample.pk}/anomalies/").content.decode())

    assert _cell(row, "Message") == "same values as line 3; dropped"
    assert _cell(row, "Fix") == "Delete the repeated line."
    assert _cell(row, "Status") == ""
    assert f"/datasets/{sample.pk}/files/namespaces/lines/?line=4" in row
