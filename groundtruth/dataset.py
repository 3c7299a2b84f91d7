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
}


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


def sample_generate(
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
) -> SampleDataset:
    """Build three linked files and the anomalies, counts and status the pipeline must report."""
    _options_check(delimiter, line_ending, encoding, bom, header_style, variant, scale)
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
    for name in FILES:
        data, lines[name], blank_lines[name] = table_render(
            tables[name], rng, delimiter=delimiter, line_ending=line_ending, quote_all=quote_all
        )
        raw = data.encode(encoding) if isinstance(data, str) else data
        if bom and isinstance(data, str):
            raw = b"\xef\xbb\xbf" + raw
        files[name] = raw
        encoding_failed[name] = isinstance(data, str) and not is_utf8(raw)
    expected, counts, status, values = expected_compute(tables, lines, blank_lines, encoding_failed)
    return SampleDataset(
        files=files,
        expected=expected,
        expected_counts=counts,
        expected_status=status,
        lines=lines,
        options=options,
        expected_values=values,
    )


def _options_check(delimiter, line_ending, encoding, bom, header_style, variant, scale) -> None:
    if delimiter not in (",", ";", "\t", "|"):
        raise ValueError(f"delimiter must be one of , ; tab |, not {delimiter!r}")
    if line_ending not in ("\n", "\r\n", "\r"):
        raise ValueError(f"line_ending must be LF, CRLF or CR, not {line_ending!r}")
    if encoding not in ("utf-8", "cp1252"):
        raise ValueError(f"encoding must be utf-8 or cp1252, not {encoding!r}")
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
