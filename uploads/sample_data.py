"""Ground-truth sample datasets: realistic linked CSV files with anomalies injected at known places.

The generator places every cell and writes every line itself, so the expected report comes from its
own construction: the spec's rules (`shared/data-spec.md`, choices in `docs/pipeline.md`) applied to
the cells it placed, and physical lines counted from the text it wrote; never from the pipeline.
Pure Python + numpy/pandas, no Django import.

Three ideas live here (building cells, writing a dialect, deriving the expected report) that would
usually be three modules; they stay in one file because the project asked for one.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

# The spec restated here on purpose, not imported from uploads.pipeline: the ground truth must not
# share the engine's mistakes.
FILES = ("namespaces", "datapoints", "columns")
FIELDS = {
    "namespaces": ("namespace_id", "namespace_option_name", "namespace_option_standard_name"),
    "datapoints": (
        "data_point_id", "data_point_name", "data_point_standard_name", "approved_abbreviations",
        "data_point_definition", "applicable_data_universes", "applicable_domicile", "data_type",
        "data_point_possible_values", "is_derived", "methodology_reference",
    ),
    "columns": (
        "column_id", "namespace_id", "dataset_database_name", "dataset_table_name",
        "dataset_column_name", "data_point_id", "dataset_owner_name",
    ),
}
REQUIRED = {
    "namespaces": ("namespace_id", "namespace_option_name"),
    "datapoints": ("data_point_id", "data_point_name", "data_type"),
    "columns": ("column_id", "namespace_id", "dataset_database_name", "dataset_table_name",
                "dataset_column_name"),
}
KEY = {"namespaces": "namespace_id", "datapoints": "data_point_id", "columns": "column_id"}
VOCABULARIES = {
    "data_type": frozenset("string integer decimal boolean date datetime percentage currency enum "
                           "text int float double number numeric bool timestamp".split()),
    "is_derived": frozenset("true t yes y 1 false f no n 0".split()),
}
CATEGORICAL = ("dataset_database_name", "dataset_owner_name")
VARIANTS = (None, "file-empty", "file-not-csv", "header-missing-column")
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
    "all_at_once": {"delimiter": "\t", "line_ending": "\r", "header_style": "shuffled", "quote_all": True,
                    "encoding": "cp1252"},
}
EXPECTED_COLUMNS = ["file", "line", "field", "code"]

# --- Word lists. Database and owner names are pairwise far apart (checked below), so that the
# only near-duplicates are the ones injected.
DATABASES = (
    "fund_master", "esg_store", "risk_warehouse", "market_data", "portfolio_analytics",
    "benchmark_hub", "client_reporting", "pricing_engine", "reference_data",
    "performance_attribution", "regulatory_reporting", "holdings_lake",
)
OWNERS = (
    "Equity Research", "Sustainability Office", "Risk Management", "Fixed Income Desk",
    "Data Governance", "Quant Research", "Client Reporting Team", "Compliance",
    "Market Data Operations", "Multi-Asset Strategy", "Zürich Investment Office",
    "Performance Measurement",
)
DOMAINS = (
    "Fund Performance", "Portfolio Holdings", "Zürich Pension Mandates", "Sustainability", "ESG Ratings",
    "Risk Analytics", "Société Générale Mandates", "Fixed Income", "Equity Factors", "Market Data",
    "Benchmark Constituents", "Client Reporting", "Regulatory Reporting", "Fund Flows",
    "Share Class Reference", "Carbon Footprint", "Liquidity Risk", "Credit Ratings",
    "Derivatives Exposure", "Performance Attribution", "Fees and Expenses", "Distribution",
)
REGIONS = ("Global", "Europe", "North America", "Asia Pacific", "Emerging Markets", "UK", "Japan",
           "Latin America", "Nordics")
# name, abbreviation, canonical data type, column stem
MEASURES = (
    ("Total Return", "TR", "percentage", "total_return"), ("Net Asset Value", "NAV", "decimal", "nav"),
    ("Carbon Intensity", "CI", "decimal", "carbon_intensity"), ("Value at Risk", "VAR", "decimal", "var"),
    ("Sharpe Ratio", "SR", "decimal", "sharpe"), ("Tracking Error", "TE", "percentage", "tracking_error"),
    ("Ongoing Charges", "OCF", "percentage", "ongoing_charges"), ("Share Class Currency", "CCY", "enum", "ccy"),
    ("Fund Size", "AUM", "currency", "fund_size"), ("Inception Date", "INCEP", "date", "inception_dt"),
    ("ESG Risk Score", "ESGRS", "decimal", "esg_risk_score"), ("Controversy Flag", "CTRV", "boolean", "controversy_flag"),
    ("Holdings Count", "HCNT", "integer", "holdings_count"), ("Modified Duration", "DUR", "decimal", "mod_duration"),
    ("Yield to Maturity", "YTM", "percentage", "ytm"), ("Credit Rating", "RTG", "enum", "credit_rating"),
    ("Star Rating", "STAR", "integer", "star_rating"), ("Price Timestamp", "PTS", "datetime", "price_ts"),
    ("Domicile Country", "DOM", "string", "domicile"), ("Scope 3 Emissions", "S3E", "decimal", "scope3_emissions"),
    ("Board Independence", "BIND", "percentage", "board_independence"), ("Gender Pay Gap", "GPG", "percentage", "gender_pay_gap"),
    ("Maximum Drawdown", "MDD", "percentage", "max_drawdown"), ("Beta", "BETA", "decimal", "beta"),
    ("Distribution Yield", "DY", "percentage", "distribution_yield"), ("Portfolio Turnover", "TOR", "percentage", "turnover"),
    ("Liquidity Bucket", "LIQ", "enum", "liquidity_bucket"), ("Sector Weight", "SW", "percentage", "sector_weight"),
    ("Average Market Cap", "AMC", "currency", "avg_market_cap"), ("Dividend Frequency", "DIVF", "string", "dividend_freq"),
)
HORIZONS = (("", ""), ("1 Month", "1m"), ("3 Month", "3m"), ("1 Year", "1y"), ("3 Year", "3y"),
            ("5 Year", "5y"), ("10 Year", "10y"), ("Since Inception", "si"), ("Year to Date", "ytd"))
QUALIFIERS = (("", ""), ("Net", "_net"), ("Gross", "_gross"), ("Category Average", "_cat_avg"),
              ("Percentile Rank", "_pct_rank"), ("Benchmark Relative", "_rel"), ("EUR Hedged", "_eur_h"))
SPELLINGS = {
    "string": ("string", "String", "text", "TEXT"), "integer": ("integer", "int", "Integer", "INT"),
    "decimal": ("decimal", "Decimal", "float", "double", "number", "numeric", "NUMBER"),
    "boolean": ("boolean", "bool", "Boolean"), "date": ("date", "Date", "DATE"),
    "datetime": ("datetime", "timestamp", "DateTime"), "percentage": ("percentage", "Percentage", "PERCENTAGE"),
    "currency": ("currency", "Currency"), "enum": ("enum", "Enum", "ENUM"),
}
IS_DERIVED_SPELLINGS = ("true", "false", "True", "False", "Y", "N", "yes", "no", "YES", "t", "f", "1", "0", "")
ENUM_VALUES = ("USD|EUR|GBP|CHF|JPY", "AAA|AA|A|BBB|BB|B|CCC", "Daily|Weekly|Monthly|Illiquid")
UNIVERSES = ("OE", "ETF", "CEF", "SMA", "MMF", "HF", "UCITS")
DOMICILES = ("US", "GB", "LU", "IE", "FR", "DE", "CH", "JP", "SG")
DEFINITIONS = (
    "{name} of the share class, as published by the fund administrator.",
    "{name} over the period, dividends reinvested, net of fees; see \"Methodology\" for details.",
    "{name}, known internally as \"{abbr}\"",
    "{name} per USD million of revenue.{nl}Weighted by holding.",
    "Calculated daily from closing prices of the primary listing.{nl}Source: fund_master.prices | benchmark_hub.levels",
    "Définition: {name} selon la méthodologie interne (données Zürich).",
    "{name}, expressed in the base currency (€ for EUR share classes).",
    "Line 1: {name}.{nl}Line 2: restated quarterly.{nl}Line 3: see MR notes, section \"Restatements\".",
    "{name}.{nl}{nl}Notes:{nl}  - restated quarterly;{nl}   {nl}  - gaps filled from the vendor feed.",
)
TABLES = (
    "returns", "prices", "holdings", "carbon_metrics", "exposures", "ratings", "fees", "flows",
    "share_classes", "benchmarks", "risk_measures", "attribution", "controversies", "emissions",
    "liquidity", "distributions", "classifications", "prix_clôture", "positions_daily", "nav_history",
)
MISC_COLUMNS = ("isin", "ticker", "as_of_date", "load_ts", "source_system", "währung", "row_hash")
NOTES = ("", "", "checked", " legacy ", "see ticket DQ-1042", "TODO: confirm with owner", "n/a",
         "migrated 2023; verify", "\tpending review")
UNKNOWN_HEADERS = ("notes", "Last Reviewed By", "source_file", "comments")
INVALID_VALUES = {"data_type": ("varchar", "money", "int64", "float(10,2)", "text/plain"),
                  "is_derived": ("maybe", "partially", "N/A", "2", "oui")}
PADDINGS = (" ", "  ", "\t", " \t", "\u00a0")  # no-break space: str.strip() whitespace too


def _fold(value: str) -> str:
    return re.sub(r"[\s_\-.]", "", value.casefold())


def _one_edit_apart(a: str, b: str) -> bool:
    """Damerau–Levenshtein distance exactly 1: one insertion, deletion, substitution or swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) < len(b):
        return a[i:] == b[i + 1:]
    if a[i + 1:] == b[i + 1:]:
        return True
    return i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]


def _similar(v: str, w: str) -> bool:
    return v != w and (_fold(v) == _fold(w) or (_one_edit_apart(v, w) and min(len(v), len(w)) >= 5))


for _names in (DATABASES, OWNERS):
    assert not any(_similar(v, w) for v in _names for w in _names), _names


def _standard_name(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "_", ascii_name).strip("_").upper()


# ---------------------------------------------------------------------------------------------
# The logical content of a file: the cells of every record, before a dialect is applied.

@dataclass
class _Column:
    header: str                       # header cell as written
    field: str | None                 # spec field read from this column; None when ignored
    role: str = "field"               # "field" | "unknown" | "duplicate"
    duplicate_of: str | None = None   # spec field a duplicate column names again
    cells: np.ndarray | None = None   # cells of an ignored column


@dataclass
class _Table:
    name: str
    values: dict[str, np.ndarray]     # raw cell text per spec field, one entry per record
    layout: list[_Column] = field(default_factory=list)
    ncells: np.ndarray | None = None  # cells written per record, extra cells included
    extras: dict[int, list[str]] = field(default_factory=dict)
    blanks: dict[int, list[str]] = field(default_factory=dict)  # blank lines written before record i
    blanks_at_end: list[str] = field(default_factory=list)  # blank lines after the last record
    delimiter: str = ","
    broken: str | None = None         # file-level variant applied to this file
    broken_detail: str | None = None  # the missing field, or how the file is not CSV

    @property
    def size(self) -> int:
        return len(self.values[KEY[self.name]])

    def positions(self) -> dict[str, int]:
        return {c.field: p for p, c in reversed(list(enumerate(self.layout))) if c.field is not None}

    def cells(self, position: int) -> np.ndarray:
        column = self.layout[position]
        return column.cells if column.field is None else self.values[column.field]


@dataclass
class SampleDataset:
    files: dict[str, bytes]
    expected: pd.DataFrame            # file, line (Int64, <NA> for file-*), field ("" when none), code
    expected_counts: dict[str, dict[str, int]]
    expected_status: str
    lines: dict[str, np.ndarray]      # physical start line of every record, per file
    options: dict = field(default_factory=dict)

    def expected_set(self) -> set[tuple[str, int | None, str, str]]:
        return {(f, None if pd.isna(line) else int(line), fld, code)
                for f, line, fld, code in self.expected.itertuples(index=False)}


# ---------------------------------------------------------------------------------------------
# Building clean records.

def _namespaces_build(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    ids, names, standards = [], [], []
    blank_standard = rng.random(n) < 0.2
    span = len(DOMAINS) * len(REGIONS)
    for k in range(n):
        domain, region = DOMAINS[k % len(DOMAINS)], REGIONS[(k // len(DOMAINS)) % len(REGIONS)]
        name = domain if k < len(DOMAINS) else f"{domain} — {region}"
        if k >= span:
            name += f" {k // span + 1}"
        ids.append(f"NS{k + 1:05d}")
        names.append(name)
        standards.append("" if blank_standard[k] else _standard_name(name))
    return {"namespace_id": _objects(ids), "namespace_option_name": _objects(names),
            "namespace_option_standard_name": _objects(standards)}


def _datapoints_build(n: int, rng: np.random.Generator, line_ending: str) -> dict[str, np.ndarray]:
    draws = rng.random((n, 12))
    picks = rng.integers(0, 1 << 30, (n, 6))
    # line breaks pasted into a definition need not be the file's own: any of them is one line break
    newlines = {"\n": ("\n", "\n", "\r\n"), "\r\n": ("\n", "\r\n"), "\r": ("\r", "\r", "\n", "\r\n")}[line_ending]
    out: dict[str, list[str]] = {f: [] for f in FIELDS["datapoints"]}
    for k in range(n):
        name_, abbr, kind, _ = MEASURES[k % len(MEASURES)]
        horizon, horizon_code = HORIZONS[(k // len(MEASURES)) % len(HORIZONS)]
        qualifier, _ = QUALIFIERS[(k // (len(MEASURES) * len(HORIZONS))) % len(QUALIFIERS)]
        name = " ".join(part for part in (name_, horizon, qualifier) if part)
        d, p = draws[k], picks[k]
        out["data_point_id"].append(f"DP{k + 1:06d}")
        out["data_point_name"].append(name)
        out["data_point_standard_name"].append("" if d[0] < 0.1 else _standard_name(name))
        out["approved_abbreviations"].append(
            "" if d[1] < 0.3 else f"{abbr}{horizon_code.upper()}|{abbr}" if horizon_code else abbr)
        definition = "" if d[2] < 0.1 else DEFINITIONS[p[0] % len(DEFINITIONS)].format(
            name=name, abbr=abbr, nl=newlines[p[1] % len(newlines)])
        out["data_point_definition"].append(definition)
        universes = [u for j, u in enumerate(UNIVERSES) if (p[2] >> j) & 1] or ["OE"]
        out["applicable_data_universes"].append("" if d[3] < 0.15 else (" | " if d[4] < 0.2 else "|").join(universes))
        domiciles = [c for j, c in enumerate(DOMICILES) if (p[3] >> j) & 1 and j % 2 == p[3] % 2]
        out["applicable_domicile"].append("" if d[5] < 0.4 else "|".join(domiciles))
        out["data_type"].append(SPELLINGS[kind][p[4] % len(SPELLINGS[kind])])
        out["data_point_possible_values"].append(
            ENUM_VALUES[k % len(ENUM_VALUES)] if kind == "enum" else "")
        out["is_derived"].append(IS_DERIVED_SPELLINGS[p[5] % len(IS_DERIVED_SPELLINGS)])
        out["methodology_reference"].append("" if d[6] < 0.25 else f"MR-{k % 997 + 1:04d}")
    return {f: _objects(v) for f, v in out.items()}


def _columns_build(n: int, rng: np.random.Generator, namespace_pool: np.ndarray,
                   datapoint_pool: np.ndarray, datapoint_stems: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Columns naming only `namespace_pool` / `datapoint_pool`, each of them at least once.

    Returns the values and the rows that guarantee that coverage (never given an anomaly)."""
    order = rng.permutation(n)
    namespace_index = rng.integers(0, len(namespace_pool), n)
    namespace_index[order[:len(namespace_pool)]] = np.arange(len(namespace_pool))
    datapoint_index = rng.integers(0, len(datapoint_pool), n)
    covering = order[len(namespace_pool):len(namespace_pool) + len(datapoint_pool)]
    datapoint_index[covering] = np.arange(len(datapoint_pool))
    protected = order[:len(namespace_pool) + len(datapoint_pool)]
    no_datapoint = rng.random(n) < 0.04
    no_datapoint[protected] = False
    # A namespace lives in up to three databases; each database has a usual owner.
    databases = _objects(DATABASES)
    namespace_databases = rng.integers(0, len(DATABASES), (len(namespace_pool), 3))
    database_index = namespace_databases[namespace_index, rng.integers(0, 3, n)]
    owners = _objects(OWNERS + ("",))
    database_owner = rng.permutation(len(OWNERS))[:len(DATABASES)]
    owner_index = database_owner[database_index]
    other_owner = rng.random(n)
    owner_index = np.where(other_owner < 0.08, rng.integers(0, len(OWNERS), n), owner_index)
    owner_index = np.where(other_owner > 0.95, len(OWNERS), owner_index)
    suffixes = _objects(("", "", "", "_usd", "_eur", "_pct", "_adj", "_v2"))
    stems = datapoint_stems[datapoint_index]
    misc = _objects(MISC_COLUMNS)[rng.integers(0, len(MISC_COLUMNS), n)]
    stems = np.where(no_datapoint, misc, stems)
    column_names = (pd.Series(stems) + pd.Series(suffixes[rng.integers(0, len(suffixes), n)])).to_numpy(object)
    tables = _objects(TABLES)[rng.integers(0, len(TABLES), n)]
    values = {
        "column_id": _objects([f"COL{k + 1:07d}" for k in range(n)]),
        "namespace_id": namespace_pool[namespace_index],
        "dataset_database_name": databases[database_index],
        "dataset_table_name": tables,
        "dataset_column_name": column_names,
        "data_point_id": np.where(no_datapoint, "", datapoint_pool[datapoint_index]).astype(object),
        "dataset_owner_name": owners[owner_index],
    }
    return values, protected


def _objects(items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = list(items)
    return array


# ---------------------------------------------------------------------------------------------
# Header layout: order, spelling, unknown and duplicate columns.

def _header_spell(rng: np.random.Generator, name: str) -> str:
    style = rng.integers(0, 4)
    text = (name.upper(), name.title(), name, "".join(
        c.upper() if rng.random() < 0.5 else c for c in name))[style]
    return " " * int(rng.integers(0, 3)) + text + " " * int(rng.integers(0, 3))


def _layout_build(rng: np.random.Generator, name: str, n: int, header_style: str, *, unknown: bool,
                  duplicate: bool) -> list[_Column]:
    shuffled = header_style == "shuffled"
    fields = list(FIELDS[name])
    if shuffled:
        fields = [fields[k] for k in rng.permutation(len(fields))]
    layout = [_Column(_header_spell(rng, f) if shuffled else f, f) for f in fields]
    if duplicate:
        twice = fields[int(rng.integers(0, len(fields)))]
        after = fields.index(twice) + 1
        at = int(rng.integers(after, len(layout) + 1)) if shuffled else len(layout)
        layout.insert(at, _Column(_header_spell(rng, twice) if shuffled else twice.upper(), None,
                                  "duplicate", twice))  # cells copied once the values are final
    if unknown:
        header = UNKNOWN_HEADERS[int(rng.integers(0, len(UNKNOWN_HEADERS)))]
        at = int(rng.integers(0, len(layout) + 1)) if shuffled else len(layout)
        cells = _objects(NOTES)[rng.integers(0, len(NOTES), n)]
        layout.insert(at, _Column(_header_spell(rng, header) if shuffled else header, None, "unknown", None, cells))
    return layout


def _duplicate_columns_fill(rng: np.random.Generator, table: _Table) -> None:
    """A duplicate column repeats the field's final cells, some changed: ignored, it must count nowhere."""
    for column in table.layout:
        if column.role == "duplicate":
            cells = table.values[column.duplicate_of].copy()
            changed = rng.random(table.size) < 0.2
            cells[changed] = _objects(NOTES)[rng.integers(0, len(NOTES), int(changed.sum()))]
            column.cells = cells


# ---------------------------------------------------------------------------------------------
# Injecting record-level anomalies at known places.

NAMESPACE_KINDS = ("whitespace", "required-blank", "missing-cell", "extra-cell", "duplicate-row",
                   "duplicate-key", "blank-row", "unused-record", "silent-blank", "delimiters-only")
DATAPOINT_KINDS = NAMESPACE_KINDS + ("invalid-value",)
COLUMN_KINDS = ("whitespace", "required-blank", "missing-cell", "extra-cell", "duplicate-row",
                "duplicate-key", "blank-row", "silent-blank", "unknown-namespace", "unknown-datapoint",
                "unknown-both", "rejected-namespace", "rejected-datapoint", "near-database-case",
                "near-database-edit", "near-owner-case", "near-owner-edit", "delimiters-only", "key-case",
                "near-boundary", "orphan-reference")
# Rare values at the edges of the near-duplicate rule, in groups: `FXDB` (1) vs `fxdb` (3) is one; `fxdc`
# is one edit from `fxdb` but shorter than 5; `Index Managment` (1) vs `Index Management` (2) is under 3x.
BOUNDARY_VALUES = (
    [("dataset_owner_name", "Treasury Operations")] * 3 + [("dataset_owner_name", "treasury operations")]
    + [("dataset_owner_name", "Index Management")] * 2 + [("dataset_owner_name", "Index Managment")]
    + [("dataset_database_name", "fxdb")] * 3 + [("dataset_database_name", "FXDB"), ("dataset_database_name", "fxdc")]
)


def _pad(rng: np.random.Generator, value: str) -> str:
    left, right = PADDINGS[int(rng.integers(0, len(PADDINGS)))], PADDINGS[int(rng.integers(0, len(PADDINGS)))]
    side = int(rng.integers(0, 3))  # left, right or both
    return (left if side != 1 else "") + value + (right if side != 0 else "") if value else value


def _inject(rng: np.random.Generator, table: _Table, kinds: tuple[str, ...], rate: float,
            protected: np.ndarray, handlers: dict) -> dict[str, np.ndarray]:
    """Give `rate` of the records (at least one per kind) an anomaly; return the rows per kind."""
    n = table.size
    if rate <= 0:
        return {}
    candidates = np.setdiff1d(np.arange(1, n), protected)
    count = min(len(candidates), max(len(kinds), int(round(rate * n))))
    rows = np.sort(rng.choice(candidates, size=count, replace=False))
    assigned = np.array(kinds, dtype=object)[rng.permutation(count) % len(kinds)]
    touched = np.zeros(n, dtype=bool)
    touched[rows] = True
    width = len(table.layout)
    by_kind: dict[str, list[int]] = {}
    for i, kind in zip(rows.tolist(), assigned.tolist()):
        by_kind.setdefault(kind, []).append(i)
        v = table.values
        if kind == "whitespace":
            filled = [f for f in FIELDS[table.name] if v[f][i]]
            for f in rng.choice(filled, size=min(len(filled), int(rng.integers(1, 3))), replace=False):
                v[f][i] = _pad(rng, v[f][i]) if v[f][i] == v[f][i].strip() else v[f][i]
                if f == "data_point_definition" and rng.random() < 0.5:  # pasted with its line end
                    v[f][i] = v[f][i].rstrip(" \t\u00a0") + "\n"
        elif kind == "silent-blank":  # whitespace only in an optional field: blank, no anomaly
            optional = [f for f in FIELDS[table.name] if f not in REQUIRED[table.name]]
            v[optional[int(rng.integers(0, len(optional)))]][i] = ("   ", " ", "\t ")[int(rng.integers(0, 3))]
        elif kind == "required-blank":
            required = list(REQUIRED[table.name])
            if table.name != "columns" and rng.random() < 0.7:
                required.remove(KEY[table.name])  # keep the key, so that a column can still name it
            for f in rng.choice(required, size=1 + int(rng.random() < 0.3 and len(required) > 1), replace=False):
                v[f][i] = ("", "  ")[int(rng.integers(0, 2))]
        elif kind == "missing-cell":
            table.ncells[i] = int(rng.integers(2, width))
        elif kind == "extra-cell":
            table.extras[i] = [NOTES[int(rng.integers(0, len(NOTES)))] for _ in range(int(rng.integers(1, 3)))]
            table.ncells[i] = width + len(table.extras[i])
        elif kind == "blank-row":  # a tab is whitespace, but not in a tab-separated file
            ends = not table.blanks_at_end and rng.random() < 0.3  # e.g. a spreadsheet's trailing empty rows
            (table.blanks_at_end if ends else table.blanks.setdefault(i, [])).extend([("", "  ", "", " \t ")[int(rng.integers(0, 3 + (table.delimiter != "\t")))]
                               for _ in range(int(rng.integers(1, 3)))])
        elif kind == "delimiters-only":  # a spreadsheet's empty row: cells, all blank; not a blank line
            for f in FIELDS[table.name]:
                v[f][i] = ""
        elif kind in ("duplicate-row", "duplicate-key"):
            clean = np.flatnonzero(~touched[:i])
            j = int(clean[rng.integers(0, len(clean))])
            if kind == "duplicate-row" and by_kind.get("duplicate-key") and rng.random() < 0.3:
                j = by_kind["duplicate-key"][-1]  # a copy of a key conflict is a duplicate row (docs/pipeline.md)
            elif rng.random() < 0.2:
                j = int(rng.integers(0, i))  # a copy of whatever came before, anomalies included
            for f in FIELDS[table.name]:
                v[f][i] = v[f][j]
            if kind == "duplicate-key":
                changed = {"namespaces": "namespace_option_name", "datapoints": "data_point_name",
                           "columns": "dataset_column_name"}[table.name]
                v[changed][i] = v[changed][j] + (" (legacy)" if table.name != "columns" else "_old")
            if rng.random() < 0.3:  # trimming makes it the same value: a whitespace anomaly besides
                key = KEY[table.name]
                v[key][i] = _pad(rng, v[key][i])
            if kind == "duplicate-row" and rng.random() < 0.2:  # dropped extra cells do not count
                table.extras[i] = [NOTES[int(rng.integers(0, len(NOTES)))]]
                table.ncells[i] = width + 1
        elif kind == "invalid-value":
            f = ("data_type", "is_derived")[int(rng.integers(0, 2))]
            choices = INVALID_VALUES[f]
            v[f][i] = choices[int(rng.integers(0, len(choices)))]
        elif kind in handlers:
            handlers[kind](i)
        # "unused-record" needs nothing here: the columns simply never name the record.
    return {kind: np.array(rows_, dtype=int) for kind, rows_ in by_kind.items()}


def _variant_case(rng: np.random.Generator, value: str) -> str:
    words = re.split(r"[\s_]+", value)
    options = ["_".join(w.title() for w in words), value.upper(), "-".join(words), ".".join(words),
               " ".join(w.title() for w in words), "".join(words), value.lower()]
    options = [o for o in options if o != value]
    return options[int(rng.integers(0, len(options)))]


def _variant_edit(rng: np.random.Generator, value: str) -> str:
    """One swap, deletion or substitution between letters, so that folding does not undo it."""
    while True:
        k = int(rng.integers(1, len(value) - 2))
        a, b = value[k], value[k + 1]
        if not (a.isalpha() and b.isalpha() and a != b):
            continue
        edit = int(rng.integers(0, 3))
        out = (value[:k] + b + a + value[k + 2:], value[:k] + value[k + 1:],
               value[:k] + ("x" if a != "x" else "z") + value[k + 1:])[edit]
        if _fold(out) != _fold(value):
            return out


# ---------------------------------------------------------------------------------------------
# Deriving what the pipeline must report, stage by stage, from the cells.

@dataclass
class _Checked:
    frame: pd.DataFrame               # trimmed values of the fields present
    anomalies: list[tuple[np.ndarray, str, str]]  # (record mask, field, code)
    duplicate: np.ndarray             # dropped as duplicate rows
    kept: np.ndarray                  # passed the key stage


def _check_through_keys(table: _Table) -> _Checked:
    n, width, positions = table.size, len(table.layout), table.positions()
    ncells = table.ncells
    anomalies = [(ncells < width, "", "missing-cell"), (ncells > width, "", "extra-cell")]
    trimmed: dict[str, np.ndarray] = {}
    rejected = np.zeros(n, dtype=bool)
    for f in FIELDS[table.name]:
        if f not in positions:
            continue
        raw = np.where(ncells > positions[f], table.values[f], "").astype(object)
        codes, uniques = pd.factorize(raw)
        unique_values = _objects([u.strip() for u in uniques])
        value = unique_values[codes]
        trimmed[f] = value
        filled = (unique_values != "")[codes]
        padded = np.array([u != u.strip() for u in uniques], dtype=bool)[codes]
        anomalies.append((padded & filled, f, "whitespace"))
        if f in REQUIRED[table.name]:
            anomalies.append((~filled, f, "required-blank"))
            rejected |= ~filled
        if f in VOCABULARIES:
            outside = np.array([u.lower() not in VOCABULARIES[f] for u in unique_values], dtype=bool)[codes]
            anomalies.append((filled & outside, f, "invalid-value"))
    frame = pd.DataFrame(trimmed)
    reached = ~rejected
    duplicate = np.zeros(n, dtype=bool)
    duplicate[reached] = frame[reached].duplicated(keep="first").to_numpy()
    candidates = reached & ~duplicate
    key_clash = np.zeros(n, dtype=bool)
    key_clash[candidates] = frame.loc[candidates, KEY[table.name]].duplicated(keep="first").to_numpy()
    anomalies += [(duplicate, "", "duplicate-row"), (key_clash, KEY[table.name], "duplicate-key")]
    return _Checked(frame, anomalies, duplicate, candidates & ~key_clash)


def _expected_compute(tables: dict[str, _Table], lines: dict[str, np.ndarray], blank_lines: dict[str, list[int]],
                      encoding_failed: dict[str, bool]) -> tuple[pd.DataFrame, dict, str]:
    failed = any(t.broken for t in tables.values())
    parts: list[pd.DataFrame] = []
    rows: list[tuple] = []
    checked: dict[str, _Checked] = {}
    for name in FILES:
        table = tables[name]
        if table.broken == "file-empty" or table.broken_detail == "binary":
            rows.append((name, None, "", table.broken))
            continue
        if encoding_failed[name]:
            rows.append((name, None, "", "file-encoding"))
        for column in table.layout:
            if column.role == "unknown":
                rows.append((name, 1, column.header.strip(), "header-unknown-column"))
            elif column.role == "duplicate":
                rows.append((name, 1, column.duplicate_of, "header-duplicate-column"))
        # A file that fails at file level reports only its file and header anomalies (docs/pipeline.md).
        if table.broken == "file-not-csv":  # the header read, then a quote left open at the end
            rows.append((name, None, "", table.broken))
            continue
        if table.broken == "header-missing-column":
            rows.append((name, 1, table.broken_detail, "header-missing-column"))
            continue
        rows += [(name, line, "", "blank-row") for line in blank_lines[name]]
        checked[name] = _check_through_keys(table)
        for mask, f, code in checked[name].anomalies:
            parts.append(_anomalies_at(name, lines[name], mask, f, code))
    persisted = {name: c.kept.copy() for name, c in checked.items()}
    if not failed:
        parts += _references_check(checked, lines, persisted)
    counts = {}
    for name in FILES:
        if name not in checked:  # a file failing at file level has no record read
            counts[name] = dict(rows_read=0, rows_persisted=0, rows_rejected=0, rows_duplicate=0)
            continue
        read, duplicate = tables[name].size, int(checked[name].duplicate.sum())
        kept = 0 if failed else int(persisted[name].sum())
        counts[name] = dict(rows_read=read, rows_persisted=kept, rows_rejected=read - kept - duplicate,
                            rows_duplicate=duplicate)
    parts.append(pd.DataFrame(rows, columns=EXPECTED_COLUMNS))
    expected = pd.concat(parts, ignore_index=True)
    expected["line"] = expected["line"].astype("Int64")
    expected["order"] = expected["file"].map({name: k for k, name in enumerate(FILES)})
    expected = expected.sort_values(["order", "line", "field", "code"], na_position="first", kind="stable")
    expected = expected.drop(columns="order").reset_index(drop=True)
    return expected, counts, "failed" if failed else "done"


def _anomalies_at(name: str, lines: np.ndarray, mask: np.ndarray, field_: str, code: str) -> pd.DataFrame:
    at = lines[np.flatnonzero(mask)]
    return pd.DataFrame({"file": name, "line": at, "field": field_, "code": code}, columns=EXPECTED_COLUMNS)


def _references_check(checked: dict[str, _Checked], lines: dict[str, np.ndarray],
                      persisted: dict[str, np.ndarray]) -> list[pd.DataFrame]:
    columns = checked["columns"]
    parts = []
    refs = {"namespace_id": "namespaces", "data_point_id": "datapoints"}
    unknown_any = np.zeros(len(columns.kept), dtype=bool)
    for ref, target in refs.items():
        known = set(checked[target].frame.loc[persisted[target], KEY[target]])
        named = columns.frame[ref] if ref in columns.frame else pd.Series("", index=columns.frame.index)
        unknown = columns.kept & (named != "").to_numpy() & ~named.isin(known).to_numpy()
        parts.append(_anomalies_at("columns", lines["columns"], unknown, ref, "unknown-reference"))
        unknown_any |= unknown
    persisted["columns"] = columns.kept & ~unknown_any
    for ref, target in refs.items():
        if ref not in columns.frame:
            continue
        used = set(columns.frame.loc[persisted["columns"], ref])
        ids = checked[target].frame[KEY[target]]
        unused = persisted[target] & ~ids.isin(used).to_numpy()
        parts.append(_anomalies_at(target, lines[target], unused, "", "unused-record"))
    for f in CATEGORICAL:
        if f not in columns.frame:
            continue
        values = columns.frame[f]
        counts = values[persisted["columns"] & (values != "").to_numpy()].value_counts()
        variants = [v for v, n in counts.items() if any(_similar(v, w) and m >= 3 * n for w, m in counts.items())]
        near = persisted["columns"] & values.isin(variants).to_numpy()
        parts.append(_anomalies_at("columns", lines["columns"], near, f, "near-duplicate"))
    return parts


# ---------------------------------------------------------------------------------------------
# Writing a table in a dialect; every record's physical start line is counted from what is written.

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _quote_one(cell: str, delimiter: str, quote_all: bool) -> str:
    if quote_all or any(c in cell for c in (delimiter, '"', "\r", "\n")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _table_render(table: _Table, rng: np.random.Generator, *, delimiter: str, line_ending: str,
                  quote_all: bool) -> tuple[str | bytes, np.ndarray, list[int]]:
    """The file text, the start line of each record, and the lines of the blank rows."""
    if table.broken == "file-empty":
        return ("", line_ending * 2, f"  {line_ending} {line_ending}")[int(rng.integers(0, 3))], np.array([], int), []
    if table.broken == "file-not-csv" and table.broken_detail == "binary":  # a spreadsheet uploaded instead
        return b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + rng.bytes(200), np.array([], int), []
    width = len(table.layout)
    header = delimiter.join(_quote_one(c.header, delimiter, quote_all) for c in table.layout)
    def quote(cell: str) -> str:
        return _quote_one(cell, delimiter, quote_all)

    text, breaks = None, np.zeros(table.size, dtype=int)
    for position in range(width):
        codes, uniques = pd.factorize(table.cells(position))
        quoted = _objects([quote(u) for u in uniques])[codes]
        text = pd.Series(quoted, dtype=object) if text is None else text + delimiter + quoted
        breaks += np.array([len(_LINE_BREAK.findall(u)) for u in uniques], dtype=int)[codes]
    text = text.to_numpy(dtype=object)
    for i in np.flatnonzero(table.ncells != width).tolist():
        cells = [table.cells(p)[i] for p in range(min(width, int(table.ncells[i])))] + table.extras.get(i, [])
        text[i] = delimiter.join(_quote_one(c, delimiter, quote_all) for c in cells)
    for i in np.flatnonzero(table.ncells != width).tolist():
        breaks[i] = len(_LINE_BREAK.findall(text[i]))
    blank_count = np.zeros(table.size, dtype=int)
    for i, blanks in table.blanks.items():
        blank_count[i] = len(blanks)
    heights = 1 + breaks
    starts = 2 + np.concatenate([[0], np.cumsum(heights)[:-1]]) + np.cumsum(blank_count)
    blank_lines = []
    for i in sorted(table.blanks):
        blank_lines += list(range(int(starts[i]) - len(table.blanks[i]), int(starts[i])))
        text[i] = "".join(b + line_ending for b in table.blanks[i]) + text[i]
    body = line_ending.join([header, *text.tolist()])
    if table.broken == "file-not-csv":  # a quote left open at the end of the file
        return body + line_ending + f'{table.values[KEY[table.name]][0]}X{delimiter}"unterminated', starts, blank_lines
    if table.blanks_at_end:  # each ends with its line end: a last line end alone makes no blank line
        after = int(starts[-1] + heights[-1])
        blank_lines += list(range(after, after + len(table.blanks_at_end)))
        return body + line_ending + "".join(b + line_ending for b in table.blanks_at_end), starts, blank_lines
    trailing = rng.random() < 0.8
    return body + (line_ending if trailing else ""), starts, blank_lines


# ---------------------------------------------------------------------------------------------

def sample_generate(
    *, scale: int = 1, seed: int = 0, delimiter: str = ",", line_ending: str = "\n", bom: bool = False,
    encoding: str = "utf-8", header_style: str = "plain", quote_all: bool = False,
    variant: str | None = None, anomaly_rate: float = 0.01,
) -> SampleDataset:
    """Build three linked files and the anomalies, counts and status the pipeline must report."""
    _options_check(delimiter, line_ending, encoding, bom, header_style, variant, scale)
    options = dict(scale=scale, seed=seed, delimiter=delimiter, line_ending=line_ending, bom=bom,
                   encoding=encoding, header_style=header_style, quote_all=quote_all, variant=variant,
                   anomaly_rate=anomaly_rate)
    rng = np.random.default_rng(seed)
    sizes = {"namespaces": 20 * scale, "datapoints": 500 * scale, "columns": 10_000 * scale}
    anomalous = anomaly_rate > 0
    header_anomalies = {name: rng.random(2) < 0.5 for name in FILES} if anomalous else {}
    if anomalous:  # at least one unknown and one duplicate column somewhere
        header_anomalies[FILES[int(rng.integers(0, 3))]][0] = True
        header_anomalies[FILES[int(rng.integers(0, 3))]][1] = True
    tables: dict[str, _Table] = {}
    for name, values in (("namespaces", _namespaces_build(sizes["namespaces"], rng)),
                         ("datapoints", _datapoints_build(sizes["datapoints"], rng, line_ending))):
        tables[name] = _table_prepare(rng, name, values, header_style, header_anomalies, delimiter)
    injected = {name: _inject(rng, tables[name], kinds, anomaly_rate, np.array([], int), {})
                for name, kinds in (("namespaces", NAMESPACE_KINDS), ("datapoints", DATAPOINT_KINDS))}
    # Columns name only what survives the key stage, apart from the references injected on purpose.
    pools, rejected_ids, unused_ids = {}, {}, {}
    for name in ("namespaces", "datapoints"):
        checked = _check_through_keys(tables[name])
        ids = checked.frame[KEY[name]]
        unused = np.zeros(tables[name].size, dtype=bool)
        unused[injected[name].get("unused-record", np.array([], int))] = True
        pools[name] = _objects(ids[checked.kept & ~unused].tolist())
        unused_ids[name] = sorted(set(ids[checked.kept & unused]))
        rejected_ids[name] = sorted(set(ids[~checked.kept & (ids != "").to_numpy()]) - set(ids[checked.kept]))
    stems = {f"DP{k + 1:06d}": MEASURES[k % len(MEASURES)][3] + HORIZONS[(k // len(MEASURES)) % len(HORIZONS)][1]
             for k in range(sizes["datapoints"])}
    column_values, protected = _columns_build(sizes["columns"], rng, pools["namespaces"], pools["datapoints"],
                                              _objects([stems[d] for d in pools["datapoints"]]))
    tables["columns"] = _table_prepare(rng, "columns", column_values, header_style, header_anomalies, delimiter)
    _inject(rng, tables["columns"], COLUMN_KINDS, anomaly_rate, protected,
            _column_handlers(rng, tables["columns"], rejected_ids, unused_ids))
    for table in tables.values():
        _duplicate_columns_fill(rng, table)
    if variant:
        _variant_apply(rng, tables, variant)
    files, lines, blank_lines, encoding_failed = {}, {}, {}, {}
    for name in FILES:
        data, lines[name], blank_lines[name] = _table_render(
            tables[name], rng, delimiter=delimiter, line_ending=line_ending, quote_all=quote_all)
        raw = data.encode(encoding) if isinstance(data, str) else data
        if bom and isinstance(data, str):
            raw = b"\xef\xbb\xbf" + raw
        files[name] = raw
        encoding_failed[name] = isinstance(data, str) and not _is_utf8(raw)
    expected, counts, status = _expected_compute(tables, lines, blank_lines, encoding_failed)
    return SampleDataset(files=files, expected=expected, expected_counts=counts, expected_status=status,
                         lines=lines, options=options)


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


def _table_prepare(rng, name, values, header_style, header_anomalies, delimiter) -> _Table:
    unknown, duplicate = header_anomalies.get(name, (False, False))
    n = len(values[KEY[name]])
    table = _Table(name, values, delimiter=delimiter)
    table.layout = _layout_build(rng, name, n, header_style, unknown=bool(unknown), duplicate=bool(duplicate))
    table.ncells = np.full(n, len(table.layout))
    return table


def _column_handlers(rng, table: _Table, rejected_ids, unused_ids) -> dict:
    v = table.values
    fake = iter(range(1, 10**9))
    variants: dict[str, str] = {}
    boundary = iter(BOUNDARY_VALUES * (table.size // len(BOUNDARY_VALUES) + 1))

    def near_boundary(i):
        field_, value = next(boundary)
        v[field_][i] = value

    def orphan_reference(i):  # names an unused record, but is rejected: the record stays unused
        field_ = ("namespace_id", "data_point_id")[int(rng.integers(0, 2))]
        ids = unused_ids["namespaces" if field_ == "namespace_id" else "datapoints"]
        if ids:
            v[field_][i] = ids[int(rng.integers(0, len(ids)))]
        if rng.random() < 0.5:
            v["dataset_table_name"][i] = ""
        elif field_ == "namespace_id":
            unknown_datapoint(i)
        else:
            unknown_namespace(i)

    def unknown_namespace(i):
        if rng.random() < 0.3:  # references match exactly: another case names nothing
            v["namespace_id"][i] = v["namespace_id"][i].lower()
        else:
            v["namespace_id"][i] = f"NS{9 * 10**5 + next(fake)}"

    def key_case(i):  # keys compare case-sensitively: a new key, persisted without anomaly
        v["column_id"][i] = v["column_id"][i].lower()

    def unknown_datapoint(i):
        v["data_point_id"][i] = f"DP{9 * 10**7 + next(fake)}"

    def rejected(field_, target, fallback):
        def handler(i):
            ids = rejected_ids[target]
            if ids:
                v[field_][i] = ids[int(rng.integers(0, len(ids)))]
            else:
                fallback(i)
        return handler

    def near(field_, kind):
        def handler(i):
            key = f"{field_}-{kind}"
            if key not in variants:
                names = pd.Series(v[field_]).value_counts()
                common = next(n for n in names.index if n)
                variants[key] = (_variant_case if kind == "case" else _variant_edit)(rng, common)
            v[field_][i] = variants[key]
        return handler

    return {
        "unknown-namespace": unknown_namespace, "unknown-datapoint": unknown_datapoint,
        "unknown-both": lambda i: (unknown_namespace(i), unknown_datapoint(i)),
        "key-case": key_case,
        "near-boundary": near_boundary,
        "orphan-reference": orphan_reference,
        "rejected-namespace": rejected("namespace_id", "namespaces", unknown_namespace),
        "rejected-datapoint": rejected("data_point_id", "datapoints", unknown_datapoint),
        "near-database-case": near("dataset_database_name", "case"),
        "near-database-edit": near("dataset_database_name", "edit"),
        "near-owner-case": near("dataset_owner_name", "case"),
        "near-owner-edit": near("dataset_owner_name", "edit"),
    }


def _variant_apply(rng, tables: dict[str, _Table], variant: str) -> None:
    table = tables[FILES[int(rng.integers(0, 3))]]
    table.broken = variant
    if variant == "file-not-csv":
        table.broken_detail = ("binary", "open-quote")[int(rng.integers(0, 2))]
    if variant == "header-missing-column":
        table.broken_detail = missing = REQUIRED[table.name][int(rng.integers(0, len(REQUIRED[table.name])))]
        keep = [k for k, c in enumerate(table.layout) if missing not in (c.field, c.duplicate_of)]
        table.layout = [table.layout[k] for k in keep]
        table.ncells = np.minimum(table.ncells, len(table.layout))


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
        "files": {name: {**ds.expected_counts[name],
                         "anomalies": {code: int(n) for (file, code), n in by_code.items() if file == name}}
                  for name in FILES},
        "anomalies_total": int(len(ds.expected)),
        "options": ds.options,
    }
    (out / "expected_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return out
