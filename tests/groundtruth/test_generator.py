"""The sample generator's own properties: deterministic, the documented sizes, every code of the spec,
and lines that are the lines Python's csv module finds in what it wrote."""

import csv
import io
import json

import openpyxl
import pytest

from groundtruth import DIALECTS, FIELDS, FILES, KEY, VOCABULARIES, sample_generate, sample_write

RECORD_CODES = {
    "blank-row",
    "missing-cell",
    "extra-cell",
    "whitespace",
    "required-blank",
    "invalid-value",
    "duplicate-row",
    "duplicate-key",
    "unknown-reference",
    "unused-record",
    "near-duplicate",
    "header-unknown-column",
    "header-duplicate-column",
}


def _read_back(ds, name):
    """(start line, cells) of every record and the lines of blank rows, as Python's csv module reads
    them (openpyxl for a workbook)."""
    options = ds.options
    if options["workbook"]:
        return _sheet_read_back(ds.files[name], name)
    encoding = {"utf-8": "utf-8-sig", "utf-16-le": "utf-16", "utf-16-be": "utf-16"}.get(options["encoding"], "cp1252")
    text = ds.files[name].decode(encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=options["delimiter"])
    if options["sep_line"]:
        assert options["delimiter"].join(next(reader)) == f"sep={options['delimiter']}"
    header = next(reader)
    records, blanks, start = [], [], reader.line_num + 1
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            blanks.append(start)
        else:
            records.append((start, row))
        start = reader.line_num + 1
    return header, records, blanks


def _positions(header):
    positions = {}
    for position, cell in enumerate(header):
        positions.setdefault(cell.strip().lower(), position)
    return positions


def test_same_seed_gives_the_same_dataset():
    first, second = sample_generate(seed=7), sample_generate(seed=7)
    assert first.files == second.files
    assert first.expected.equals(second.expected)
    assert first.expected_counts == second.expected_counts


def test_another_seed_gives_another_dataset():
    assert sample_generate(seed=1).files != sample_generate(seed=2).files


def test_scale_one_has_the_documented_sizes():
    ds = sample_generate(seed=0)
    assert {name: ds.expected_counts[name]["rows_read"] for name in FILES} == {
        "namespaces": 20,
        "datapoints": 500,
        "columns": 10_000,
    }
    for name in FILES:
        counts = ds.expected_counts[name]
        assert counts["rows_read"] == counts["rows_persisted"] + counts["rows_rejected"] + counts["rows_duplicate"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_record_level_code_is_injected(seed):
    ds = sample_generate(seed=seed)
    assert set(ds.expected["code"]) == RECORD_CODES
    assert ds.expected_status == "done"


def test_cp1252_files_with_non_ascii_text_get_one_file_encoding_each():
    ds = sample_generate(seed=0, encoding="cp1252")
    encoding = ds.expected[ds.expected["code"] == "file-encoding"]
    assert sorted(encoding["file"]) == sorted(FILES)
    assert encoding["line"].isna().all()
    assert (encoding["field"] == "").all()


def test_no_anomaly_rate_gives_clean_files():
    ds = sample_generate(seed=3, anomaly_rate=0)
    assert ds.expected.empty
    assert all(c["rows_persisted"] == c["rows_read"] for c in ds.expected_counts.values())


@pytest.mark.parametrize("variant", ["file-empty", "file-not-csv", "header-missing-column"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_file_level_failure_fails_the_dataset(variant, seed):
    ds = sample_generate(seed=seed, variant=variant)
    assert ds.expected_status == "failed"
    assert (ds.expected["code"] == variant).sum() == 1
    assert not set(ds.expected["code"]) & {"unknown-reference", "unused-record", "near-duplicate"}
    assert all(c["rows_persisted"] == 0 for c in ds.expected_counts.values())


def _sheet_read_back(data: bytes, name: str):
    """(row, cells up to the last one holding a value) of every record and the empty rows among them."""
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    titles = {title.replace(" ", "").lower(): title for title in book.sheetnames}
    sheet = book[titles.get(name, book.sheetnames[0])]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    rows = [row[: max((i + 1 for i, v in enumerate(row) if v != ""), default=0)] for row in rows]
    header_at = next(i for i, row in enumerate(rows) if row)
    last = max(i for i, row in enumerate(rows) if row)
    records = [(i + 1, row) for i, row in enumerate(rows) if header_at < i <= last and row]
    blanks = [i + 1 for i, row in enumerate(rows) if header_at < i <= last and not row]
    return rows[header_at], records, blanks


@pytest.mark.parametrize("dialect", DIALECTS)
def test_lines_are_where_the_csv_module_finds_the_records(dialect):
    ds = sample_generate(seed=5, **DIALECTS[dialect])
    for name in FILES:
        # given the file as written and what the generator claims about it
        header, records, blanks = _read_back(ds, name)
        expected = ds.expected[ds.expected["file"] == name]
        at = {code: set(expected.loc[expected["code"] == code, "line"]) for code in RECORD_CODES}
        # then records and blank lines sit on the lines claimed
        assert [line for line, _ in records] == ds.lines[name].tolist()
        assert blanks == sorted(at["blank-row"])
        short = {line for line, row in records if len(row) < len(header)}
        # on a sheet a row has no length of its own: a short row is no missing cell
        assert (set() if ds.options["workbook"] else short) == at["missing-cell"]
        assert {line for line, row in records if len(row) > len(header)} == at["extra-cell"]
        # and the injected rows hold what their anomaly says
        positions = _positions(header)
        cells = dict(records)

        def cell(line, field, cells=cells, positions=positions):
            row = cells[line]
            return row[positions[field]] if positions[field] < len(row) else ""

        for _, line, field, code in expected.itertuples(index=False):
            if code == "whitespace":
                assert cell(line, field) != cell(line, field).strip() != ""
            elif code == "required-blank":
                assert cell(line, field).strip() == ""
            elif code == "invalid-value":
                assert cell(line, field).strip().lower() not in VOCABULARIES[field]
            elif code in ("duplicate-key", "duplicate-row"):
                key = cell(line, KEY[name]).strip()
                assert any(cell(earlier, KEY[name]).strip() == key for earlier in cells if earlier < line)


def test_sample_write_writes_files_and_expectations(tmp_path):
    # given a dataset written to a folder
    ds = sample_generate(seed=0, delimiter=";")
    sample_write(ds, tmp_path)
    # then the files are the bytes generated, and the expectations read back
    for name in FILES:
        assert (tmp_path / f"{name}.csv").read_bytes() == ds.files[name]
    with open(tmp_path / "expected_anomalies.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["file", "line", "field", "code"]
    assert len(rows) == len(ds.expected)
    order = [(FILES.index(r["file"]), int(r["line"]) if r["line"] else 0) for r in rows]
    assert order == sorted(order)
    summary = json.loads((tmp_path / "expected_summary.json").read_text())
    assert summary["status"] == "done"
    assert summary["files"]["columns"]["rows_read"] == 10_000
    assert summary["anomalies_total"] == len(rows)


def test_fields_of_the_generator_match_the_spec_header():
    ds = sample_generate(seed=0, anomaly_rate=0)
    for name in FILES:
        header, _, _ = _read_back(ds, name)
        assert tuple(header) == FIELDS[name]
