"""Realistic clean content for the three files: names, definitions, references, in plausible spellings."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from .spec import FIELDS, similar

# Database and owner names are pairwise far apart (checked below), so that the only near-duplicates
# are the ones injected.
DATABASES = (
    "fund_master",
    "esg_store",
    "risk_warehouse",
    "market_data",
    "portfolio_analytics",
    "benchmark_hub",
    "client_reporting",
    "pricing_engine",
    "reference_data",
    "performance_attribution",
    "regulatory_reporting",
    "holdings_lake",
)
OWNERS = (
    "Equity Research",
    "Sustainability Office",
    "Risk Management",
    "Fixed Income Desk",
    "Data Governance",
    "Quant Research",
    "Client Reporting Team",
    "Compliance",
    "Market Data Operations",
    "Multi-Asset Strategy",
    "Zürich Investment Office",
    "Performance Measurement",
)
DOMAINS = (
    "Fund Performance",
    "Portfolio Holdings",
    "Zürich Pension Mandates",
    "Sustainability",
    "ESG Ratings",
    "Risk Analytics",
    "Société Générale Mandates",
    "Fixed Income",
    "Equity Factors",
    "Market Data",
    "Benchmark Constituents",
    "Client Reporting",
    "Regulatory Reporting",
    "Fund Flows",
    "Share Class Reference",
    "Carbon Footprint",
    "Liquidity Risk",
    "Credit Ratings",
    "Derivatives Exposure",
    "Performance Attribution",
    "Fees and Expenses",
    "Distribution",
)
REGIONS = (
    "Global",
    "Europe",
    "North America",
    "Asia Pacific",
    "Emerging Markets",
    "UK",
    "Japan",
    "Latin America",
    "Nordics",
)
# name, abbreviation, canonical data type, column stem
MEASURES = (
    ("Total Return", "TR", "percentage", "total_return"),
    ("Net Asset Value", "NAV", "decimal", "nav"),
    ("Carbon Intensity", "CI", "decimal", "carbon_intensity"),
    ("Value at Risk", "VAR", "decimal", "var"),
    ("Sharpe Ratio", "SR", "decimal", "sharpe"),
    ("Tracking Error", "TE", "percentage", "tracking_error"),
    ("Ongoing Charges", "OCF", "percentage", "ongoing_charges"),
    ("Share Class Currency", "CCY", "enum", "ccy"),
    ("Fund Size", "AUM", "currency", "fund_size"),
    ("Inception Date", "INCEP", "date", "inception_dt"),
    ("ESG Risk Score", "ESGRS", "decimal", "esg_risk_score"),
    ("Controversy Flag", "CTRV", "boolean", "controversy_flag"),
    ("Holdings Count", "HCNT", "integer", "holdings_count"),
    ("Modified Duration", "DUR", "decimal", "mod_duration"),
    ("Yield to Maturity", "YTM", "percentage", "ytm"),
    ("Credit Rating", "RTG", "enum", "credit_rating"),
    ("Star Rating", "STAR", "integer", "star_rating"),
    ("Price Timestamp", "PTS", "datetime", "price_ts"),
    ("Domicile Country", "DOM", "string", "domicile"),
    ("Scope 3 Emissions", "S3E", "decimal", "scope3_emissions"),
    ("Board Independence", "BIND", "percentage", "board_independence"),
    ("Gender Pay Gap", "GPG", "percentage", "gender_pay_gap"),
    ("Maximum Drawdown", "MDD", "percentage", "max_drawdown"),
    ("Beta", "BETA", "decimal", "beta"),
    ("Distribution Yield", "DY", "percentage", "distribution_yield"),
    ("Portfolio Turnover", "TOR", "percentage", "turnover"),
    ("Liquidity Bucket", "LIQ", "enum", "liquidity_bucket"),
    ("Sector Weight", "SW", "percentage", "sector_weight"),
    ("Average Market Cap", "AMC", "currency", "avg_market_cap"),
    ("Dividend Frequency", "DIVF", "string", "dividend_freq"),
)
HORIZONS = (
    ("", ""),
    ("1 Month", "1m"),
    ("3 Month", "3m"),
    ("1 Year", "1y"),
    ("3 Year", "3y"),
    ("5 Year", "5y"),
    ("10 Year", "10y"),
    ("Since Inception", "si"),
    ("Year to Date", "ytd"),
)
QUALIFIERS = (
    ("", ""),
    ("Net", "_net"),
    ("Gross", "_gross"),
    ("Category Average", "_cat_avg"),
    ("Percentile Rank", "_pct_rank"),
    ("Benchmark Relative", "_rel"),
    ("EUR Hedged", "_eur_h"),
)
SPELLINGS = {
    "string": ("string", "String", "text", "TEXT"),
    "integer": ("integer", "int", "Integer", "INT"),
    "decimal": ("decimal", "Decimal", "float", "double", "number", "numeric", "NUMBER"),
    "boolean": ("boolean", "bool", "Boolean"),
    "date": ("date", "Date", "DATE"),
    "datetime": ("datetime", "timestamp", "DateTime"),
    "percentage": ("percentage", "Percentage", "PERCENTAGE"),
    "currency": ("currency", "Currency"),
    "enum": ("enum", "Enum", "ENUM"),
}
IS_DERIVED_SPELLINGS = ("true", "false", "True", "False", "Y", "N", "yes", "no", "YES", "t", "f", "1", "0", "")
ENUM_VALUES = ("USD|EUR|GBP|CHF|JPY", "AAA|AA|A|BBB|BB|B|CCC", "Daily|Weekly|Monthly|Illiquid")
UNIVERSES = ("OE", "ETF", "CEF", "SMA", "MMF", "HF", "UCITS")
DOMICILES = ("US", "GB", "LU", "IE", "FR", "DE", "CH", "JP", "SG")
DEFINITIONS = (
    "{name} of the share class, as published by the fund administrator.",
    '{name} over the period, dividends reinvested, net of fees; see "Methodology" for details.',
    '{name}, known internally as "{abbr}"',
    "{name} per USD million of revenue.{nl}Weighted by holding.",
    "Calculated daily from closing prices of the primary listing.{nl}Source: fund_master.prices | benchmark_hub.levels",
    "Définition: {name} selon la méthodologie interne (données Zürich).",
    "{name}, expressed in the base currency (€ for EUR share classes).",
    'Line 1: {name}.{nl}Line 2: restated quarterly.{nl}Line 3: see MR notes, section "Restatements".',
    "{name}.{nl}{nl}Notes:{nl}  - restated quarterly;{nl}   {nl}  - gaps filled from the vendor feed.",
)
TABLES = (
    "returns",
    "prices",
    "holdings",
    "carbon_metrics",
    "exposures",
    "ratings",
    "fees",
    "flows",
    "share_classes",
    "benchmarks",
    "risk_measures",
    "attribution",
    "controversies",
    "emissions",
    "liquidity",
    "distributions",
    "classifications",
    "prix_clôture",
    "positions_daily",
    "nav_history",
)
MISC_COLUMNS = ("isin", "ticker", "as_of_date", "load_ts", "source_system", "währung", "row_hash")
NOTES = (
    "",
    "",
    "checked",
    " legacy ",
    "see ticket DQ-1042",
    "TODO: confirm with owner",
    "n/a",
    "migrated 2023; verify",
    "\tpending review",
)
UNKNOWN_HEADERS = ("notes", "Last Reviewed By", "source_file", "comments")
INVALID_VALUES = {
    "data_type": ("varchar", "money", "int64", "float(10,2)", "text/plain"),
    "is_derived": ("maybe", "partially", "N/A", "2", "oui"),
}
PADDINGS = (" ", "  ", "\t", " \t", "\u00a0")  # no-break space: str.strip() whitespace too


for _names in (DATABASES, OWNERS):
    assert not any(similar(v, w) for v in _names for w in _names), _names


def _standard_name(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "_", ascii_name).strip("_").upper()


def objects(items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    array[:] = list(items)
    return array


def namespaces_build(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
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
    return {
        "namespace_id": objects(ids),
        "namespace_option_name": objects(names),
        "namespace_option_standard_name": objects(standards),
    }


def datapoints_build(n: int, rng: np.random.Generator, line_ending: str) -> dict[str, np.ndarray]:
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
            "" if d[1] < 0.3 else f"{abbr}{horizon_code.upper()}|{abbr}" if horizon_code else abbr
        )
        definition = (
            ""
            if d[2] < 0.1
            else DEFINITIONS[p[0] % len(DEFINITIONS)].format(name=name, abbr=abbr, nl=newlines[p[1] % len(newlines)])
        )
        out["data_point_definition"].append(definition)
        universes = [u for j, u in enumerate(UNIVERSES) if (p[2] >> j) & 1] or ["OE"]
        out["applicable_data_universes"].append("" if d[3] < 0.15 else (" | " if d[4] < 0.2 else "|").join(universes))
        domiciles = [c for j, c in enumerate(DOMICILES) if (p[3] >> j) & 1 and j % 2 == p[3] % 2]
        out["applicable_domicile"].append("" if d[5] < 0.4 else "|".join(domiciles))
        out["data_type"].append(SPELLINGS[kind][p[4] % len(SPELLINGS[kind])])
        out["data_point_possible_values"].append(ENUM_VALUES[k % len(ENUM_VALUES)] if kind == "enum" else "")
        out["is_derived"].append(IS_DERIVED_SPELLINGS[p[5] % len(IS_DERIVED_SPELLINGS)])
        out["methodology_reference"].append("" if d[6] < 0.25 else f"MR-{k % 997 + 1:04d}")
    return {f: objects(v) for f, v in out.items()}


def columns_build(
    n: int,
    rng: np.random.Generator,
    namespace_pool: np.ndarray,
    datapoint_pool: np.ndarray,
    datapoint_stems: np.ndarray,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Columns naming only `namespace_pool` / `datapoint_pool`, each of them at least once.

    Returns the values and the rows that guarantee that coverage (never given an anomaly)."""
    order = rng.permutation(n)
    namespace_index = rng.integers(0, len(namespace_pool), n)
    namespace_index[order[: len(namespace_pool)]] = np.arange(len(namespace_pool))
    datapoint_index = rng.integers(0, len(datapoint_pool), n)
    covering = order[len(namespace_pool) : len(namespace_pool) + len(datapoint_pool)]
    datapoint_index[covering] = np.arange(len(datapoint_pool))
    protected = order[: len(namespace_pool) + len(datapoint_pool)]
    no_datapoint = rng.random(n) < 0.04
    no_datapoint[protected] = False
    # A namespace lives in up to three databases; each database has a usual owner.
    databases = objects(DATABASES)
    namespace_databases = rng.integers(0, len(DATABASES), (len(namespace_pool), 3))
    database_index = namespace_databases[namespace_index, rng.integers(0, 3, n)]
    owners = objects(OWNERS + ("",))
    database_owner = rng.permutation(len(OWNERS))[: len(DATABASES)]
    owner_index = database_owner[database_index]
    other_owner = rng.random(n)
    owner_index = np.where(other_owner < 0.08, rng.integers(0, len(OWNERS), n), owner_index)
    owner_index = np.where(other_owner > 0.95, len(OWNERS), owner_index)
    suffixes = objects(("", "", "", "_usd", "_eur", "_pct", "_adj", "_v2"))
    stems = datapoint_stems[datapoint_index]
    misc = objects(MISC_COLUMNS)[rng.integers(0, len(MISC_COLUMNS), n)]
    stems = np.where(no_datapoint, misc, stems)
    column_names = (pd.Series(stems) + pd.Series(suffixes[rng.integers(0, len(suffixes), n)])).to_numpy(object)
    tables = objects(TABLES)[rng.integers(0, len(TABLES), n)]
    values = {
        "column_id": objects([f"COL{k + 1:07d}" for k in range(n)]),
        "namespace_id": namespace_pool[namespace_index],
        "dataset_database_name": databases[database_index],
        "dataset_table_name": tables,
        "dataset_column_name": column_names,
        "data_point_id": np.where(no_datapoint, "", datapoint_pool[datapoint_index]).astype(object),
        "dataset_owner_name": owners[owner_index],
    }
    return values, protected
