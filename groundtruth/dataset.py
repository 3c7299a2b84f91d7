"""The public API: `sample_generate` builds a dataset and the report it must produce; `sample_write` saves both."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .anomalies import COLUMN_KINDS, DATAPOINT_KINDS, NAMESPACE_KINDS, column_handlers, inject, variant_apply
from .content import HORIZONS, MEASURES, columns_build, datapoints_build, namespaces_build, objects
from .expected import check_through_keys, expected_compute
from .render import is_utf8, table_render
from .spec import FILES, KEY, VARIANTS
from .tables import Table, duplicate_columns_fill, table_prepare
from .workbook import SHEET_TITLES, empty_records, sheet_rows, workbook_write

# Named dialects of the spec, each the options of `sample_generate` that produce it.
DIALECTS = {
    "comma": {},
    "semicolon": {"delimiter": ";"},
    "tab": {"delimiter": "\t"},
    "pipe": {"delimiter": "|"},
    "crlf": {"line_ending": "\r\n"},
    "cr": {"line_ending": "\r"},
    "bom": {"bom": True},
    "cp1252": {"encoding": "cp1252"},
    "shuffled_header": {"header_style": "shuffled"},
    "quote_all": {"quote_all": True},
    "all_at_once": {
        "delimiter": "\t",
        "line_ending": "\r",
        "header_style": "shuffled",
        "quote_all": True,
        "encoding": "cp1252",
    },
    # as Excel saves them
    "utf16_le": {"encoding": "utf-16-le", "delimiter": "\t", "line_ending": "\r\n"},
    "utf16_be": {"encoding": "utf-16-be", "delimiter": "\t", "line_ending": "\r\n"},
    "sep_line": {"sep_line": True, "delimiter": ";"},
    "sep_line_utf16": {"sep_line": True, "encoding": "utf-16-le", "delimiter": "\t", "line_ending": "\r\n"},
    "xlsx_per_file": {"workbook": "per-file"},
    "xlsx_one_workbook": {"workbook": "one"},
}
UTF16_MARKS = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


@dataclass
class SampleDataset:
    files: dict[str, bytes]
    expected: pd.DataFrame  # file, line (Int64, <NA> for file-*), field ("" when none), code
    expected_counts: dict[str, dict[str, int]]
    expected_status: str
    lines: dict[str, np.ndarray]  # physical start line of every record, per file
    options: dict = field(default_factory=dict)
    # (file, line, field, code) -> values that anomaly must carry (see `expected_compute`)
    expected_values: dict[tuple, dict] = field(default_factory=dict)

    def expected_set(self) -> set[tuple[str, int | None, str, str]]:
        return {
            (f, None if pd.isna(line) else int(line), fld, code)
            for f, line, fld, code in self.expected.itertuples(index=False)
        }


def sample_generate(  # noqa: PLR0913 - each option of a sample is keyword-only, with a default
    *,
    scale: int = 1,
    seed: int = 0,
    delimiter: str = ",",
    line_ending: str = "\n",
    bom: bool = False,
    encoding: str = "utf-8",
    header_style: str = "plain",
    quote_all: bool = False,
    variant: str | None = None,
    anomaly_rate: float = 0.01,
    sep_line: bool = False,
    workbook: str | None = None,
) -> SampleDataset:
    """Build three linked files and the anomalies, counts and status the pipeline must report.
    `encoding` utf-16-le / utf-16-be writes UTF-16 with its byte-order mark; `sep_line` a first line
    `sep=X`; `workbook` "per-file" writes each file as an .xlsx, "one" one .xlsx holding all three."""
    _options_check(delimiter, line_ending, encoding, bom, header_style, variant, scale)
    _excel_options_check(encoding, sep_line, workbook, variant)
    options = {
        "scale": scale,
        "seed": seed,
        "delimiter": delimiter,
        "line_ending": line_ending,
        "bom": bom,
        "encoding": encoding,
        "header_style": header_style,
        "quote_all": quote_all,
        "variant": variant,
        "anomaly_rate": anomaly_rate,
        "sep_line": sep_line,
        "workbook": workbook,
    }
    rng = np.random.default_rng(seed)
    sizes = {"namespaces": 20 * scale, "datapoints": 500 * scale, "columns": 10_000 * scale}
    anomalous = anomaly_rate > 0
    header_anomalies = {name: rng.random(2) < 0.5 for name in FILES} if anomalous else {}
    if anomalous:  # at least one unknown and one duplicate column somewhere
        header_anomalies[FILES[int(rng.integers(0, 3))]][0] = True
        header_anomalies[FILES[int(rng.integers(0, 3))]][1] = True
    tables: dict[str, Table] = {}
    for name, values in (
        ("namespaces", namespaces_build(sizes["namespaces"], rng)),
        ("datapoints", datapoints_build(sizes["datapoints"], rng, line_ending)),
    ):
        tables[name] = table_prepare(rng, name, values, header_style, header_anomalies, delimiter)
    injected = {
        name: inject(rng, tables[name], kinds, anomaly_rate, np.array([], int), {})
        for name, kinds in (("namespaces", NAMESPACE_KINDS), ("datapoints", DATAPOINT_KINDS))
    }
    # Columns name only what survives the key stage, apart from the references injected on purpose.
    pools, rejected_ids, unused_ids = {}, {}, {}
    for name in ("namespaces", "datapoints"):
        checked = check_through_keys(tables[name])
        ids = checked.frame[KEY[name]]
        unused = np.zeros(tables[name].size, dtype=bool)
        unused[injected[name].get("unused-record", np.array([], int))] = True
        pools[name] = objects(ids[checked.kept & ~unused].tolist())
        unused_ids[name] = sorted(set(ids[checked.kept & unused]))
        rejected_ids[name] = sorted(set(ids[~checked.kept & (ids != "").to_numpy()]) - set(ids[checked.kept]))
    stems = {
        f"DP{k + 1:06d}": MEASURES[k % len(MEASURES)][3] + HORIZONS[(k // len(MEASURES)) % len(HORIZONS)][1]
        for k in range(sizes["datapoints"])
    }
    column_values, protected = columns_build(
        sizes["columns"],
        rng,
        pools["namespaces"],
        pools["datapoints"],
        objects([stems[d] for d in pools["datapoints"]]),
    )
    tables["columns"] = table_prepare(rng, "columns", column_values, header_style, header_anomalies, delimiter)
    inject(
        rng,
        tables["columns"],
        COLUMN_KINDS,
        anomaly_rate,
        protected,
        column_handlers(rng, tables["columns"], rejected_ids, unused_ids),
    )
    for table in tables.values():
        duplicate_columns_fill(rng, table)
    if variant:
        variant_apply(rng, tables, variant)
    files, lines, blank_lines, encoding_failed = {}, {}, {}, {}
    if workbook:
        files, lines, blank_lines = _workbooks_render(tables, rng, one=workbook == "one")
        encoding_failed = dict.fromkeys(FILES, False)
    for name in FILES if not workbook else ():
        data, lines[name], blank_lines[name] = table_render(
            tables[name], rng, delimiter=delimiter, line_ending=line_ending, quote_all=quote_all
        )
        if sep_line and isinstance(data, str):  # Excel's hint: one more line above the header
            data = f"sep={delimiter}{line_ending}{data}"
            lines[name], blank_lines[name] = lines[name] + 1, [line + 1 for line in blank_lines[name]]
        if encoding in UTF16_MARKS and isinstance(data, str):
            raw = UTF16_MARKS[encoding] + data.encode(encoding)
        else:
            raw = data.encode(encoding) if isinstance(data, str) else data
        if bom and isinstance(data, str):
            raw = b"\xef\xbb\xbf" + raw
        files[name] = raw
        encoding_failed[name] = isinstance(data, str) and encoding not in UTF16_MARKS and not is_utf8(raw)
    expected, counts, status, values = expected_compute(
        tables, lines, blank_lines, encoding_failed, header_line=2 if sep_line else 1, sheet=bool(workbook)
    )
    return SampleDataset(
        files=files,
        expected=expected,
        expected_counts=counts,
        expected_status=status,
        lines=lines,
        options=options,
        expected_values=values,
    )


def _workbooks_render(tables: dict[str, Table], rng, *, one: bool):
    """Each table as a sheet: of its own workbook (its sheet named "Sheet1", so that the first sheet
    is read), or of one workbook for the three (a file-empty table's sheet left out)."""
    files, lines, blank_lines, sheets = {}, {}, {}, {}
    for name in FILES:
        table = tables[name]
        # A record with every cell empty would be an empty row on a sheet, no record: its first cell
        # gets a space, which changes no anomaly (a value of whitespace only is blank, no whitespace).
        first = table.cells(0)
        first[empty_records(table)] = " "
        rows, lines[name], blank_lines[name] = sheet_rows(table)
        if table.broken == "file-not-csv":  # a workbook cut short: it cannot be opened
            data = workbook_write({"Sheet1": rows})
            files[name] = data[: len(data) // 2]
        elif one:
            if table.broken != "file-empty":
                sheets[SHEET_TITLES[name]] = rows
        else:
            files[name] = workbook_write({"Sheet1": rows})
    if one:
        data = workbook_write(sheets)
        files = dict.fromkeys(FILES, data)
    return files, lines, blank_lines


def _excel_options_check(encoding, sep_line, workbook, variant) -> None:
    if workbook not in (None, "per-file", "one"):
        raise ValueError(f"workbook must be per-file or one, not {workbook!r}")
    if workbook and (sep_line or encoding != "utf-8"):
        raise ValueError("a workbook has no encoding and no sep= line")
    if workbook == "one" and variant == "file-not-csv":
        raise ValueError("one workbook cannot hold one file that is no workbook")


def _options_check(delimiter, line_ending, encoding, bom, header_style, variant, scale) -> None:
    if delimiter not in (",", ";", "\t", "|"):
        raise ValueError(f"delimiter must be one of , ; tab |, not {delimiter!r}")
    if line_ending not in ("\n", "\r\n", "\r"):
        raise ValueError(f"line_ending must be LF, CRLF or CR, not {line_ending!r}")
    if encoding not in ("utf-8", "cp1252", "utf-16-le", "utf-16-be"):
        raise ValueError(f"encoding must be utf-8, cp1252, utf-16-le or utf-16-be, not {encoding!r}")
    if bom and encoding != "utf-8":
        raise ValueError("a byte-order mark belongs to utf-8 only")
    if header_style not in ("plain", "shuffled"):
        raise ValueError(f"header_style must be plain or shuffled, not {header_style!r}")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    if scale < 1:
        raise ValueError("scale must be at least 1")


def sample_write(ds: SampleDataset, out_dir: str | Path) -> Path:
    """Write the three files, expected_anomalies.csv (sorted like the report) and expected_summary.json."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (out / f"{name}.csv").write_bytes(ds.files[name])
    ds.expected.to_csv(out / "expected_anomalies.csv", index=False, lineterminator="\n")
    by_code = ds.expected.groupby(["file", "code"]).size()
    summary = {
        "status": ds.expected_status,
        "files": {
            name: {
                **ds.expected_counts[name],
                "anomalies": {code: int(n) for (file, code), n in by_code.items() if file == name},
            }
            for name in FILES
        },
        "anomalies_total": int(len(ds.expected)),
        "options": ds.options,
    }
    (out / "expected_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return out
