"""Files as Excel saves them, through the form and a real worker, and through `manage.py ingest`:
UTF-16 "Unicode Text" (both byte orders), a `sep=` line, an .xlsx per file and one workbook for the
three. Each ends with exactly the anomalies the spec gives (the ground truth's, line by line)."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from groundtruth import DIALECTS, FILES, sample_generate
from tests.conftest import storage_environment
from tests.e2e.test_upload_to_reports import _html, _login, _wait_finished
from uploads.models import Dataset, DatasetVersion

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("mongo")]

SHAPES = ("utf16_le", "utf16_be", "sep_line", "xlsx_per_file", "xlsx_one_workbook")
# what the dataset page says of each file's form
SHOWN = {
    "utf16_le": "UTF-16 LE with byte-order mark",
    "utf16_be": "UTF-16 BE with byte-order mark",
    "sep_line": "semicolon (from the sep= line)",
    "xlsx_per_file": "Excel workbook (.xlsx)",
    "xlsx_one_workbook": "sheet “Data Points”",
}


def _found(text: str) -> set[tuple]:
    rows = csv.DictReader(io.StringIO(text))
    return {(r["file"], int(r["line"]) if r["line"] else None, r["field"], r["code"]) for r in rows}


def _form_fields(shape: str, files: dict[str, bytes]) -> dict:
    if shape == "xlsx_one_workbook":
        return {"workbook": SimpleUploadedFile("catalog.xlsx", files["namespaces"])}
    suffix = ".xlsx" if shape == "xlsx_per_file" else ".txt"
    return {f"{file}_file": SimpleUploadedFile(f"{file}{suffix}", files[file]) for file in FILES}


def test_excel_shapes_through_the_form_and_a_worker_end_with_the_spec_s_anomalies(client, use_storage, start_worker):
    use_storage("local")
    start_worker(storage_environment("local", None))
    _login(client)
    for shape in SHAPES:
        # given a dataset saved as Excel saves it, and what the spec says it must report
        ds = sample_generate(seed=11, **DIALECTS[shape])
        # when it is uploaded with the form and processed by the worker
        response = client.post("/", {"name": shape, **_form_fields(shape, ds.files)})
        assert response.status_code == 302, response.content[:2000]
        dataset_id = response["Location"].rstrip("/").split("/")[-1]
        status = _wait_finished(client, dataset_id, timeout=180)
        # then it ends with exactly the anomalies and status of the ground truth
        report = b"".join(client.get(f"/datasets/{dataset_id}/anomalies.csv").streaming_content)
        assert _found(report.decode("utf-8-sig")) == ds.expected_set(), shape
        assert status["status"] == ds.expected_status, shape
        # and the dataset page says how the files were written
        assert SHOWN[shape] in _html(client, f"/datasets/{dataset_id}/"), shape


def test_one_workbook_is_stored_once_and_its_rows_show_with_the_cell_marked(client, use_storage, start_worker):
    use_storage("local")
    start_worker(storage_environment("local", None))
    _login(client)
    ds = sample_generate(seed=11, **DIALECTS["xlsx_one_workbook"])
    response = client.post("/", {"name": "one", **_form_fields("xlsx_one_workbook", ds.files)})
    dataset_id = response["Location"].rstrip("/").split("/")[-1]
    assert _wait_finished(client, dataset_id, timeout=180)["status"] == "done"
    version = DatasetVersion.objects.get(dataset_id=dataset_id)
    # the three files name one stored workbook
    assert version.namespaces.name == version.datapoints.name == version.columns.name
    assert version.sources["columns"]["sheet"] == "columns"
    assert version.sources["columns"]["workbook"]
    # the source view of a required-blank shows that row's cells, the blank one marked
    anomaly = ds.expected[(ds.expected["code"] == "whitespace") & (ds.expected["file"] == "datapoints")].iloc[0]
    page = _html(
        client,
        f"/datasets/{dataset_id}/files/datapoints/lines/",
        {"line": int(anomaly["line"]), "field": anomaly["field"], "code": "whitespace"},
    )
    assert f'id="line-{int(anomaly["line"])}"' in page
    assert "<mark>" in page
    assert "│" in page


@pytest.mark.parametrize("shape", SHAPES)
def test_excel_shapes_through_ingest_end_with_the_spec_s_anomalies(shape, tmp_path, capsys, use_storage):
    use_storage("local")
    ds = sample_generate(seed=12, **DIALECTS[shape])
    if shape == "xlsx_one_workbook":
        (tmp_path / "catalog.xlsx").write_bytes(ds.files["namespaces"])
        arguments = ["--workbook", str(tmp_path / "catalog.xlsx")]
    else:
        arguments = []
        for file in FILES:
            (tmp_path / f"{file}.bin").write_bytes(ds.files[file])
            arguments += [f"--{file}", str(tmp_path / f"{file}.bin")]

    call_command("ingest", "--name", shape, *arguments, "--report-dir", str(tmp_path))

    assert _found((tmp_path / "anomalies.csv").read_text(encoding="utf-8-sig")) == ds.expected_set()
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["status"] == ds.expected_status
    assert {f: summary["files"][f]["rows_read"] for f in FILES} == {
        f: ds.expected_counts[f]["rows_read"] for f in FILES
    }


def test_ingest_adds_a_workbook_version_to_a_csv_dataset_and_what_changed_is_the_records(tmp_path, use_storage):
    # given a dataset ingested from CSV files
    use_storage("local")
    csv_ds = sample_generate(seed=13, anomaly_rate=0)
    arguments = []
    for file in FILES:
        (tmp_path / f"{file}.csv").write_bytes(csv_ds.files[file])
        arguments += [f"--{file}", str(tmp_path / f"{file}.csv")]
    call_command("ingest", "--name", "formats", *arguments)
    dataset = Dataset.objects.get()
    # when the same records come as one workbook
    book_ds = sample_generate(seed=13, anomaly_rate=0, workbook="one")
    (tmp_path / "catalog.xlsx").write_bytes(book_ds.files["namespaces"])
    call_command("ingest", "--dataset", str(dataset.pk), "--workbook", str(tmp_path / "catalog.xlsx"))
    # then what changed compares records, not formats: nothing
    v2 = dataset.versions.get(number=2)
    changes = json.loads(v2.diff_json.read())["summary"]
    assert v2.status == "done"
    assert v2.compared_to.number == 1
    assert all(count == 0 for file in FILES for count in changes[file].values()), changes
    assert changes["anomalies"]["new"] == changes["anomalies"]["resolved"] == 0
